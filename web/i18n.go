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

// messages holds every UI string, Vietnamese first, the words of
// GLOSSARY.md. The pages' scripts get them too (see Messages). A key missing
// from a language falls back to Vietnamese; TestMessagesComplete keeps both
// full, and TestScriptKeysExist checks the keys the scripts ask for.
var messages = map[string]map[string]string{
	"vi": {
		"title":       "pano — màn hình LED công cộng",
		"switch_lang": "English",
		"times_in":    "Giờ hiển thị theo múi giờ",
		"noscript":    "Trang này cần bật JavaScript.",
		"loading":     "Đang tải…",
		"error":       "Có lỗi xảy ra",
		"none":        "không có",
		"yes":         "có",
		"no":          "không",

		"nav_displays": "Màn hình",
		"nav_content":  "Nội dung",
		"nav_reports":  "Báo cáo",
		"logout":       "Đăng xuất",

		"login_title":     "Đăng nhập",
		"login_name":      "Tên đăng nhập",
		"login_password":  "Mật khẩu",
		"login_submit":    "Đăng nhập",
		"login_failed":    "Sai tên đăng nhập hoặc mật khẩu.",
		"login_throttled": "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.",

		"role_admin":      "quản trị viên",
		"role_approver":   "người phê duyệt",
		"role_editor":     "biên tập viên",
		"role_technician": "kỹ thuật viên",
		"role_viewer":     "người xem",

		"no_displays":               "Chưa có màn hình nào.",
		"online":                    "trực tuyến",
		"offline":                   "mất kết nối",
		"location":                  "Vị trí",
		"group":                     "Nhóm màn hình",
		"no_group":                  "chưa thuộc nhóm nào",
		"screenshot_alt":            "Ảnh chụp màn hình gần nhất",
		"no_screenshot":             "Chưa có ảnh chụp màn hình.",
		"last_heartbeat":            "Tín hiệu gần nhất",
		"playing":                   "Đang phát",
		"playing_item":              "mục số",
		"fallback":                  "hiển thị dự phòng, lý do",
		"plan_revision":             "Phiên bản kế hoạch phát đã nhận",
		"fps":                       "Khung hình/giây (đạt/mục tiêu)",
		"frozen":                    "Hình bị đứng",
		"driver_state":              "Trạng thái bộ điều khiển",
		"clock_offset":              "Lệch đồng hồ",
		"sync":                      "Đồng bộ nội dung",
		"temperature":               "Nhiệt độ CPU",
		"storage_error":             "Lỗi lưu trữ",
		"cmd_identify":              "Nhận diện",
		"cmd_blank":                 "Tắt màn hình",
		"cmd_unblank":               "Bật lại",
		"cmd_test_pattern":          "Mẫu kiểm tra",
		"cmd_screenshot":            "Chụp màn hình",
		"fallback_no_plan":          "chưa nhận kế hoạch phát",
		"fallback_no_entry":         "không có lịch phát vào giờ này",
		"fallback_nothing_playable": "nội dung chưa tải về hoặc bị hỏng",
		"enrol_code":                "Mã đăng ký thiết bị",
		"alerts":                    "Cảnh báo",
		"urgent_send":               "Phát khẩn",
		"urgent_minutes":            "Phát khẩn trên mọi màn hình trong bao nhiêu phút?",
		"urgent_sent":               "Đã phát thông báo khẩn",
		"urgent_live":               "Thông báo khẩn đang phát",
		"urgent_until":              "đến",
		"urgent_cancel":             "Dừng",
		"urgent_cancelled":          "Đã dừng thông báo khẩn",
		"alert_offline":             "mất kết nối quá lâu",
		"alert_frozen":              "hình bị đứng",
		"alert_storage":             "đầy bộ nhớ / lỗi ghi",
		"alert_driver":              "lỗi xuất ra màn hình",
		"alert_since":               "từ",
		"enrol_code_valid":          "dùng được đến",
		"display_form":              "Thêm màn hình",
		"display_name":              "Tên (chữ thường, số, gạch ngang)",
		"display_location":          "Vị trí",
		"display_width":             "Chiều rộng (điểm ảnh)",
		"display_height":            "Chiều cao (điểm ảnh)",
		"display_fit":               "Cách khớp ảnh",
		"display_profile":           "Cấu hình phần cứng",
		"display_create":            "Thêm",
		"display_created":           "Đã thêm màn hình",
		"upload_form":               "Tải lên ảnh hoặc video",
		"upload_title":              "Tiêu đề",
		"upload_file":               "Tệp",
		"upload_submit":             "Tải lên",
		"uploaded":                  "Đã tải lên bản nháp",
		"cmd_ok":                    "thành công",
		"cmd_failed":                "thất bại",
		"cmd_pending":               "đã gửi, chưa có phản hồi",
		"cmd_offline":               "màn hình mất kết nối, không gửi được lệnh",

		"notice_form":     "Tạo thông báo chữ",
		"notice_title":    "Tiêu đề",
		"notice_body":     "Nội dung thông báo",
		"notice_create":   "Tạo bản nháp",
		"notice_created":  "Đã tạo bản nháp thông báo chữ",
		"no_media":        "Chưa có nội dung nào.",
		"col_thumbnail":   "Ảnh thu nhỏ",
		"col_title":       "Tiêu đề",
		"col_kind":        "Loại",
		"col_status":      "Trạng thái",
		"col_created":     "Ngày tạo",
		"col_actions":     "Thao tác",
		"kind_image":      "hình ảnh",
		"kind_video":      "video",
		"kind_text":       "thông báo chữ",
		"status_draft":    "bản nháp",
		"status_pending":  "chờ duyệt",
		"status_approved": "đã duyệt",
		"status_rejected": "bị từ chối",
		"approve":         "Duyệt",
		"reject":          "Từ chối",
		"submit":          "Gửi duyệt",
		"reject_reason":   "Lý do từ chối:",
		"done_approve":    "Đã duyệt",
		"done_reject":     "Đã từ chối",
		"done_submit":     "Đã gửi duyệt",

		"reports_intro": "Nhật ký phát: số lượt phát và thời lượng trên màn hình.",
		"by_campaign":   "Theo chiến dịch tuyên truyền",
		"by_day":        "Theo ngày",
		"by_display":    "Theo màn hình",
		"col_name":      "Tên",
		"col_plays":     "Lượt phát",
		"col_seconds":   "Thời lượng (giây)",
		"col_first":     "Lần đầu",
		"col_last":      "Lần cuối",
		"download_csv":  "Tải tệp CSV",
		"no_plays":      "Chưa có lượt phát nào.",
	},
	"en": {
		"title":       "pano — public LED screens",
		"switch_lang": "Tiếng Việt",
		"times_in":    "Times shown in time zone",
		"noscript":    "This page needs JavaScript.",
		"loading":     "Loading…",
		"error":       "Something went wrong",
		"none":        "none",
		"yes":         "yes",
		"no":          "no",

		"nav_displays": "Screens",
		"nav_content":  "Content",
		"nav_reports":  "Reports",
		"logout":       "Log out",

		"login_title":     "Log in",
		"login_name":      "User name",
		"login_password":  "Password",
		"login_submit":    "Log in",
		"login_failed":    "Wrong user name or password.",
		"login_throttled": "Too many failed logins; try again later.",

		"role_admin":      "admin",
		"role_approver":   "approver",
		"role_editor":     "editor",
		"role_technician": "technician",
		"role_viewer":     "viewer",

		"no_displays":               "No screens yet.",
		"online":                    "online",
		"offline":                   "offline",
		"location":                  "Location",
		"group":                     "Group",
		"no_group":                  "in no group",
		"screenshot_alt":            "Latest screenshot",
		"no_screenshot":             "No screenshot yet.",
		"last_heartbeat":            "Last heartbeat",
		"playing":                   "Playing",
		"playing_item":              "item",
		"fallback":                  "fallback, because",
		"plan_revision":             "Plan revision acknowledged",
		"fps":                       "Frames per second (achieved/target)",
		"frozen":                    "Frozen",
		"driver_state":              "Driver state",
		"clock_offset":              "Clock offset",
		"sync":                      "Content sync",
		"temperature":               "CPU temperature",
		"storage_error":             "Storage error",
		"cmd_identify":              "Identify",
		"cmd_blank":                 "Blank",
		"cmd_unblank":               "Unblank",
		"cmd_test_pattern":          "Test pattern",
		"cmd_screenshot":            "Screenshot",
		"fallback_no_plan":          "no plan received yet",
		"fallback_no_entry":         "nothing is scheduled at this hour",
		"fallback_nothing_playable": "content not downloaded yet or broken",
		"enrol_code":                "Enrolment code",
		"alerts":                    "Alerts",
		"urgent_send":               "Send as urgent",
		"urgent_minutes":            "Show on every screen for how many minutes?",
		"urgent_sent":               "Urgent notice sent",
		"urgent_live":               "Urgent notices on screens now",
		"urgent_until":              "until",
		"urgent_cancel":             "Stop",
		"urgent_cancelled":          "Urgent notice stopped",
		"alert_offline":             "offline too long",
		"alert_frozen":              "frozen picture",
		"alert_storage":             "disk full / write error",
		"alert_driver":              "panel output fails",
		"alert_since":               "since",
		"enrol_code_valid":          "valid until",
		"display_form":              "Add a display",
		"display_name":              "Name (lower case, digits, dashes)",
		"display_location":          "Location",
		"display_width":             "Width (pixels)",
		"display_height":            "Height (pixels)",
		"display_fit":               "Fit",
		"display_profile":           "Firmware profile",
		"display_create":            "Add",
		"display_created":           "Display added",
		"upload_form":               "Upload an image or a video",
		"upload_title":              "Title",
		"upload_file":               "File",
		"upload_submit":             "Upload",
		"uploaded":                  "Draft uploaded",
		"cmd_ok":                    "done",
		"cmd_failed":                "failed",
		"cmd_pending":               "sent, no answer yet",
		"cmd_offline":               "the screen is offline; the command cannot reach it",

		"notice_form":     "New text notice",
		"notice_title":    "Title",
		"notice_body":     "Notice text",
		"notice_create":   "Create draft",
		"notice_created":  "Text notice draft created",
		"no_media":        "No content yet.",
		"col_thumbnail":   "Thumbnail",
		"col_title":       "Title",
		"col_kind":        "Kind",
		"col_status":      "Status",
		"col_created":     "Created",
		"col_actions":     "Actions",
		"kind_image":      "image",
		"kind_video":      "video",
		"kind_text":       "text notice",
		"status_draft":    "draft",
		"status_pending":  "pending",
		"status_approved": "approved",
		"status_rejected": "rejected",
		"approve":         "Approve",
		"reject":          "Reject",
		"submit":          "Submit for approval",
		"reject_reason":   "Reason for rejecting:",
		"done_approve":    "Approved",
		"done_reject":     "Rejected",
		"done_submit":     "Submitted for approval",

		"reports_intro": "Proof of play: plays and time on screen.",
		"by_campaign":   "By campaign",
		"by_day":        "By day",
		"by_display":    "By screen",
		"col_name":      "Name",
		"col_plays":     "Plays",
		"col_seconds":   "Time on screen (s)",
		"col_first":     "First",
		"col_last":      "Last",
		"download_csv":  "Download CSV",
		"no_plays":      "No plays yet.",
	},
}

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
