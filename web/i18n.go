package web

// Lang is a UI language: "vi" (default) or "en".
type Lang string

func (l Lang) String() string {
	if l == "en" {
		return "en"
	}
	return "vi"
}

// messages holds every UI string, Vietnamese first. A key missing from a
// language falls back to Vietnamese; TestMessagesComplete keeps both full.
var messages = map[string]map[string]string{
	"vi": {
		"title":          "pano — màn hình LED công cộng",
		"online_screens": "Màn hình trực tuyến",
		"none_online":    "Chưa có màn hình nào trực tuyến.",
		"col_name":       "Tên",
		"col_profile":    "Cấu hình phần cứng",
		"col_panel":      "Kích thước (điểm ảnh)",
		"col_since":      "Trực tuyến từ",
		"times_in":       "Giờ hiển thị theo múi giờ",
		"switch_lang":    "English",
	},
	"en": {
		"title":          "pano — public LED screens",
		"online_screens": "Screens online",
		"none_online":    "No screen is online yet.",
		"col_name":       "Name",
		"col_profile":    "Firmware profile",
		"col_panel":      "Panel (pixels)",
		"col_since":      "Online since",
		"times_in":       "Times shown in time zone",
		"switch_lang":    "Tiếng Việt",
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
