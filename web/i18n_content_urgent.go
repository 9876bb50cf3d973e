package web

// The Nội dung page's urgent notices: composing one on the spot (a text
// typed now, or approved content), until a time, and CAP alerts waiting
// for an approver (their words are shared with the admin page: cap_ keys).
var _ = register(catalog{
	"vi": {
		"ct_urgent_compose":     "Soạn thông báo khẩn",
		"ct_urgent_what":        "Nội dung phát",
		"ct_urgent_src_text":    "Gõ chữ ngay",
		"ct_urgent_src_media":   "Chọn nội dung đã duyệt",
		"ct_urgent_text_title":  "Tiêu đề (không bắt buộc)",
		"ct_urgent_text":        "Nội dung thông báo khẩn",
		"ct_urgent_pick":        "Nội dung đã duyệt",
		"ct_urgent_pick_none":   "Hãy chọn một nội dung đã duyệt.",
		"ct_urgent_text_none":   "Hãy gõ nội dung thông báo khẩn.",
		"ct_urgent_how":         "Thời gian phát",
		"ct_urgent_for_minutes": "Trong số phút (1–1440)",
		"ct_urgent_until_at":    "Đến thời điểm",
		"ct_urgent_until_none":  "Hãy chọn thời điểm kết thúc.",
	},
	"en": {
		"ct_urgent_compose":     "Compose an urgent notice",
		"ct_urgent_what":        "What to show",
		"ct_urgent_src_text":    "Type a text now",
		"ct_urgent_src_media":   "Choose approved content",
		"ct_urgent_text_title":  "Title (optional)",
		"ct_urgent_text":        "Text of the urgent notice",
		"ct_urgent_pick":        "Approved content",
		"ct_urgent_pick_none":   "Choose approved content.",
		"ct_urgent_text_none":   "Type the text of the urgent notice.",
		"ct_urgent_how":         "How long",
		"ct_urgent_for_minutes": "For some minutes (1–1440)",
		"ct_urgent_until_at":    "Until",
		"ct_urgent_until_none":  "Choose when it ends.",
	},
})
