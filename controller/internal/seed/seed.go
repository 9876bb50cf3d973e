// Package seed fills an empty database with the demo ward of GLOSSARY.md:
// its units, one user per role, the Resolution 57-NQ/TW campaign with its
// five themes, the three display groups and the demo's three screens.
package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

// DemoPassword is every demo user's password. It is printed by `make run`;
// a demo database must never face the internet.
const DemoPassword = "pano-demo-57"

// Login is a demo account.
type Login struct {
	Name, Role, Unit string
}

// Units of the demo ward; the first (the culture and society office) leads
// and approves. A kind is free text that the page shows as typed, so it is
// in the ward's words.
var units = []store.Unit{
	{Name: "Phòng Văn hóa – Xã hội", Kind: "phòng chuyên môn", Lead: true},
	{Name: "Ủy ban MTTQ Việt Nam phường", Kind: "mặt trận"},
	{Name: "Trường THCS phường", Kind: "trường học"},
	{Name: "Khối phố 1", Kind: "khối phố"},
}

// Logins are the demo users, one per role.
var Logins = []Login{
	{"admin", store.RoleAdmin, units[0].Name},
	{"approver", store.RoleApprover, units[0].Name},
	{"editor", store.RoleEditor, units[1].Name},
	{"technician", store.RoleTechnician, units[0].Name},
	{"viewer", store.RoleViewer, units[0].Name}, // reads the ward's reports
}

var themes = []string{
	"Chủ trương của Đảng, chính sách, pháp luật của Nhà nước về khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số; vai trò của người đứng đầu",
	"Nghị quyết số 57-NQ/TW: tầm quan trọng, mục tiêu, tác động; kết quả và chỉ tiêu của phường; lợi ích cho kinh tế và đời sống",
	"Thành tựu và mô hình tiêu biểu trong quản lý hành chính công",
	"Chính sách hỗ trợ và cơ hội tham gia: nghiên cứu, đầu tư, hợp tác",
	"Hướng dẫn chuyển đổi số cho từng đối tượng: cán bộ, doanh nghiệp, tổ công nghệ số cộng đồng, người dân",
}

var groups = []string{"Trung tâm phường", "Tuyến đường chính", "Trường học"}

// notices are the demo's slides, by campaign theme (an index into themes).
var notices = []struct {
	title, body string
	theme       int
	style       store.NoticeStyle
}{
	{"Dịch vụ công trực tuyến", "Người dân hãy dùng dịch vụ công trực tuyến và thanh toán số: nhanh, tiện, minh bạch.", 4,
		store.NoticeStyle{Background: "#0b3d91"}},
	{"Nghị quyết 57-NQ/TW", "Đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia.", 1,
		store.NoticeStyle{Background: "#b71c1c", TitleColor: "#ffd54f"}},
	{"Tổ công nghệ số cộng đồng", "Hỗ trợ cài VNeID, nộp hồ sơ trực tuyến: tối thứ Bảy tại nhà văn hóa khối phố.", 4,
		store.NoticeStyle{Background: "#1b5e20"}},
	{"An toàn trên mạng", "Không chia sẻ mật khẩu, mã OTP cho bất kỳ ai.", 4,
		store.NoticeStyle{Background: "#4a148c", TitleColor: "#80deea"}},
}

// rotations play on the groups, in the order of groups (notices by index).
var rotations = []struct {
	name    string
	notices []int
}{
	{"Chuyển đổi số – trung tâm phường", []int{0, 1, 2}},
	{"Nghị quyết 57 – tuyến đường chính", []int{1, 0}},
	{"Chuyển đổi số – trường học", []int{3, 1}},
}

// Screens match scripts/run-demo.sh's simulated agents, so they show online.
var screens = []struct {
	name, location string
	w, h, group    int
}{
	{"trung-tam-phuong", "Trụ sở UBND phường", 192, 96, 0},
	{"duong-chinh", "Ngã tư đường chính", 128, 64, 1},
	{"truong-hoc", "Cổng trường THCS", 64, 32, 2},
}

// Demo seeds st when it has no user yet and reports whether it did.
func Demo(ctx context.Context, st *store.Store, p auth.Params) (bool, error) {
	n, err := st.CountUsers(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	who := store.Actor{Name: "demo-seed", Addr: "local"}
	unitID := map[string]int64{}
	for _, u := range units {
		got, err := st.CreateUnit(ctx, who, u)
		if err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		unitID[u.Name] = got.ID
	}
	hash, err := auth.HashPassword(DemoPassword, p)
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	var approver, author store.User
	for _, l := range Logins {
		u, err := st.CreateUser(ctx, who, store.User{Name: l.Name, Role: l.Role, UnitID: unitID[l.Unit], PasswordHash: hash})
		if err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		switch l.Role {
		case store.RoleApprover:
			approver = u
		case store.RoleAdmin:
			author = u
		}
	}
	c := store.Campaign{UnitID: unitID[units[0].Name], Name: "Tuyên truyền Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia",
		// A year from a month ago, so a demo started on any day has content.
		StartsOn: time.Now().AddDate(0, -1, 0).Format(time.DateOnly), EndsOn: time.Now().AddDate(1, 0, 0).Format(time.DateOnly)}
	for _, t := range themes {
		c.Themes = append(c.Themes, store.Theme{Title: t})
	}
	camp, err := st.CreateCampaign(ctx, who, c)
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	groupID := make([]int64, len(groups))
	for i, g := range groups {
		got, err := st.CreateGroup(ctx, who, g)
		if err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		groupID[i] = got.ID
	}
	for _, s := range screens {
		g := groupID[s.group]
		if _, err := st.CreateDisplay(ctx, who, store.Display{Name: s.name, Location: s.location, Width: s.w, Height: s.h, Fit: "contain", Profile: "virtual", GroupID: &g}); err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
	}

	// Approved text notices in one approved rotation per group, scheduled
	// all day so the demo's screens show something at any hour (a real
	// ward would use 06:00–22:00). Approval history is there to look at.
	// Two people, as the two-person rule (on in the demo too) wants: the
	// office's admin drafts and submits, the approver approves.
	ap := store.Actor{UserID: approver.ID, Name: approver.Name, Addr: "local"}
	au := store.Actor{UserID: author.ID, Name: author.Name, Addr: "local"}
	office := unitID[units[0].Name]
	mediaID := make([]int64, len(notices))
	for i, n := range notices {
		theme := camp.Themes[n.theme].ID
		m, err := st.CreateMedia(ctx, au, store.NewMedia{UnitID: office, CampaignID: &camp.ID, ThemeID: &theme, CreatedBy: author.ID,
			Title: n.title, Kind: store.KindText, Body: n.body, Notice: &n.style})
		if err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		if _, err := st.SubmitMedia(ctx, au, m.ID); err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		if _, err := st.ApproveMedia(ctx, ap, m.ID); err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		mediaID[i] = m.ID
	}
	for g, r := range rotations {
		var items []store.PlaylistItem
		for _, n := range r.notices {
			items = append(items, store.PlaylistItem{MediaID: mediaID[n], DurationMS: 10_000})
		}
		pl, err := st.CreatePlaylist(ctx, au, store.NewPlaylist{UnitID: office, CampaignID: &camp.ID, CreatedBy: author.ID, Name: r.name, Items: items})
		if err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		if _, err := st.SubmitPlaylist(ctx, au, pl.ID); err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		if _, err := st.ApprovePlaylist(ctx, ap, pl.ID); err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		if _, err := st.CreateSchedule(ctx, ap, store.Schedule{PlaylistID: pl.ID, GroupID: &groupID[g], StartsOn: c.StartsOn, EndsOn: c.EndsOn,
			Weekdays: 127, StartTime: "00:00", EndTime: "24:00", Priority: 10}); err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
	}
	return true, nil
}
