package web

// Lang is a UI language: "vi" (default) or "en".
type Lang string

func (l Lang) String() string {
	if l == "en" {
		return "en"
	}
	return "vi"
}

// ParseLang returns the language s names, and whether it names one.
func ParseLang(s string) (Lang, bool) {
	switch s {
	case "vi", "en":
		return Lang(s), true
	}
	return "vi", false
}

// catalog is a set of UI strings by language, then key.
type catalog map[string]map[string]string

// messages holds every UI string, Vietnamese first, the words of
// GLOSSARY.md. Each page's file (i18n_PAGE.go) registers its own catalog;
// this file holds what every page shares. The pages' scripts get them too
// (see Messages). A key missing from a language falls back to Vietnamese;
// TestMessagesComplete keeps both full, and TestScriptKeysExist checks the
// keys the scripts ask for.
var messages = catalog{"vi": {}, "en": {}}

// register adds c to messages; a key registered twice is a bug.
func register(c catalog) bool {
	for lang, m := range c {
		if messages[lang] == nil {
			panic("web: unknown language " + lang)
		}
		for k, v := range m {
			if _, dup := messages[lang][k]; dup {
				panic("web: UI string " + k + " registered twice")
			}
			messages[lang][k] = v
		}
	}
	return true
}

// What every page shares: the frame, login, roles, the urgent banner.
var _ = register(catalog{
	"vi": {
		"cancel":              "Hủy",
		"urgent_banner":       "Đang phát thông báo khẩn",
		"urgent_manage":       "Quản lý",
		"cap_waiting_banner":  "Cảnh báo khẩn cấp (CAP) chờ phê duyệt",
		"cap_waiting_open":    "Xem và quyết định",
		"or":                  "hoặc",
		"err_needs_role":      "Việc này cần vai trò:",
		"err_network":         "Không kết nối được với máy chủ; kiểm tra mạng rồi thử lại.",
		"err_forbidden":       "Vai trò của bạn không được làm việc này.",
		"err_not_found":       "Không tìm thấy (có thể đã bị xóa).",
		"err_csrf":            "Phiên làm việc đã thay đổi; tải lại trang rồi thử lại.",
		"err_internal":        "Lỗi máy chủ; xem nhật ký của bộ điều khiển.",
		"err_throttled":       "Thao tác quá nhiều lần; vui lòng thử lại sau.",
		"err_too_large":       "Dữ liệu gửi lên quá lớn.",
		"err_offline":         "Màn hình mất kết nối, không gửi được lệnh.",
		"err_session_expired": "Phiên đăng nhập đã hết hạn; đăng nhập lại.",
		"title":               "pano — màn hình LED công cộng",
		"switch_lang":         "English",
		"times_in":            "Giờ hiển thị theo múi giờ",
		"noscript":            "Trang này cần bật JavaScript.",
		"error":               "Có lỗi xảy ra",
		"none":                "không có",
		"yes":                 "có",
		"no":                  "không",
		"nav_displays":        "Màn hình",
		"nav_content":         "Nội dung",
		"nav_rotations":       "Vòng phát",
		"nav_schedules":       "Lịch phát",
		"nav_admin":           "Quản trị",
		"nav_reports":         "Báo cáo",
		"logout":              "Đăng xuất",
		"login_title":         "Đăng nhập",
		"login_name":          "Tên đăng nhập",
		"login_password":      "Mật khẩu",
		"login_submit":        "Đăng nhập",
		"login_failed":        "Sai tên đăng nhập hoặc mật khẩu.",
		"login_ended":         "Phiên đăng nhập đã kết thúc (hết hạn hoặc đã đăng xuất ở thẻ khác). Vui lòng đăng nhập lại.",
		"login_throttled":     "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.",
		"role_admin":          "quản trị viên",
		"role_approver":       "người phê duyệt",
		"role_editor":         "biên tập viên",
		"role_technician":     "kỹ thuật viên",
		"role_viewer":         "người xem",
		"urgent_live":         "Thông báo khẩn đang phát",
		"urgent_until":        "đến",
		"urgent_cancel":       "Dừng",
		"urgent_cancelled":    "Đã dừng thông báo khẩn",
		"group":               "Nhóm màn hình",
		"no_group":            "chưa thuộc nhóm nào",
	},
	"en": {
		"cancel":              "Cancel",
		"urgent_banner":       "Urgent notice on screens",
		"urgent_manage":       "Manage",
		"cap_waiting_banner":  "Emergency warnings (CAP) waiting for approval",
		"cap_waiting_open":    "Review and decide",
		"or":                  "or",
		"err_needs_role":      "This needs the role:",
		"err_network":         "The server cannot be reached; check the network and try again.",
		"err_forbidden":       "Your role may not do this.",
		"err_not_found":       "Not found (it may have been deleted).",
		"err_csrf":            "The session changed; reload the page and try again.",
		"err_internal":        "Server error; see the controller's log.",
		"err_throttled":       "Too many attempts; try again later.",
		"err_too_large":       "What was sent is too large.",
		"err_offline":         "The screen is offline; the command cannot reach it.",
		"err_session_expired": "The session has expired; log in again.",
		"title":               "pano — public LED screens",
		"switch_lang":         "Tiếng Việt",
		"times_in":            "Times shown in time zone",
		"noscript":            "This page needs JavaScript.",
		"error":               "Something went wrong",
		"none":                "none",
		"yes":                 "yes",
		"no":                  "no",
		"nav_displays":        "Screens",
		"nav_content":         "Content",
		"nav_rotations":       "Rotations",
		"nav_schedules":       "Schedules",
		"nav_admin":           "Administration",
		"nav_reports":         "Reports",
		"logout":              "Log out",
		"login_title":         "Log in",
		"login_name":          "User name",
		"login_password":      "Password",
		"login_submit":        "Log in",
		"login_failed":        "Wrong user name or password.",
		"login_ended":         "Your session ended (it expired, or you logged out in another tab). Please log in again.",
		"login_throttled":     "Too many failed logins; try again later.",
		"role_admin":          "admin",
		"role_approver":       "approver",
		"role_editor":         "editor",
		"role_technician":     "technician",
		"role_viewer":         "viewer",
		"urgent_live":         "Urgent notices on screens now",
		"urgent_until":        "until",
		"urgent_cancel":       "Stop",
		"urgent_cancelled":    "Urgent notice stopped",
		"group":               "Group",
		"no_group":            "none",
	},
})

// T returns the UI string key in lang.
func T(lang Lang, key string) string {
	if s, ok := messages[lang.String()][key]; ok {
		return s
	}
	if s, ok := messages["vi"][key]; ok {
		return s
	}
	return key
}

// Messages returns every UI string of lang, for the pages' scripts.
func Messages(lang Lang) map[string]string {
	out := make(map[string]string, len(messages["vi"]))
	for k, v := range messages["vi"] {
		out[k] = v
	}
	for k, v := range messages[lang.String()] {
		out[k] = v
	}
	return out
}
