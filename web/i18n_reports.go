package web

// The Báo cáo page: proof of play.
var _ = register(catalog{
	"vi": {
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
})
