package protocol

import (
	"strings"
	"testing"
)

func TestProgramValidateSaysWhatIsWrong(t *testing.T) {
	ok := func() *Program {
		return &Program{Width: 128, Height: 64, Windows: []ProgramWindow{
			{Kind: WindowMedia, X: 0, Y: 0, W: 96, H: 48, Asset: sha('a')},
			{Kind: WindowClock, X: 96, Y: 0, W: 32, H: 16},
			{Kind: WindowTicker, X: 0, Y: 48, W: 128, H: 16, Text: "Chuyển đổi số"},
		}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		change func(p *Program)
		want   string
	}{
		{func(p *Program) { p.Windows[0].W = 200 }, "not inside"},
		{func(p *Program) { p.Windows[1].X = -1 }, "not inside"},
		{func(p *Program) { p.Windows[2].Text = "" }, "needs its text"},
		{func(p *Program) { p.Windows[2].Speed = 5000 }, "speed"},
		{func(p *Program) { p.Windows[2].Direction = "up" }, "direction"},
		{func(p *Program) { p.Windows[1].Format = "3:04 PM" }, "clock format"},
		{func(p *Program) { p.Windows[1].Kind = "weather" }, "unknown kind"},
		{func(p *Program) { p.Windows[1].Color = "red" }, "colour"},
		{func(p *Program) { p.Windows[0].Asset = "x" }, "SHA-256"},
		{func(p *Program) { p.Windows[0].Items = []WindowItem{{Asset: sha('b'), DurationMS: 5000}} }, "one of the two"},
		{func(p *Program) {
			p.Windows[0].Asset, p.Windows[0].Items = "", []WindowItem{{Asset: sha('b'), DurationMS: 5}}
		}, "lasts 5 ms"},
		{func(p *Program) { p.Windows[0].Asset = "" }, "one of the two"},
		{func(p *Program) { p.Windows = append(p.Windows, ProgramWindow{Kind: WindowCountdown, W: 1, H: 1}) }, "counts to"},
		{func(p *Program) { p.Windows = make([]ProgramWindow, 17) }, "at most 16 windows"},
		{func(p *Program) { p.Width = 9000 }, "outside"},
	} {
		p := ok()
		c.change(p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one saying %q", err, c.want)
		}
	}
}

func TestProgramAssetsNeedSchema3AndTheirAssets(t *testing.T) {
	p := testPlan()
	if p.NeededSchema() != 1 {
		t.Fatalf("a plain plan needs schema %d", p.NeededSchema())
	}
	p.Assets = append(p.Assets, Asset{SHA256: sha('f'), Kind: AssetProgram, Bytes: 300, Needs: []string{sha('a')}})
	p.Playlists[0].Items[0].Asset = sha('f')
	if p.NeededSchema() != 3 {
		t.Fatalf("a plan with a program needs schema %d, want 3", p.NeededSchema())
	}
	p.Schema = 2
	if err := p.Validate(); err == nil {
		t.Fatal("a schema 2 plan with a program was accepted")
	}
	p.Schema = 3
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.Assets[len(p.Assets)-1].Needs = []string{sha('9')}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "does not list") {
		t.Fatalf("a program needing an unlisted asset: %v", err)
	}
	// Two programs needing each other would send an agent round in
	// circles: a program needs images and videos only.
	p.Assets = append(p.Assets, Asset{SHA256: sha('9'), Kind: AssetProgram, Bytes: 300, Needs: []string{sha('f')}})
	p.Assets[len(p.Assets)-2].Needs = []string{sha('9')}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "needs program") {
		t.Fatalf("programs needing each other: %v", err)
	}
	p.Assets = p.Assets[:len(p.Assets)-1]
	p.Assets[0].Needs = []string{sha('b')}
	p.Assets[len(p.Assets)-1].Needs = nil
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "only a program") {
		t.Fatalf("an image needing assets: %v", err)
	}
}

// A window whose corner is far outside the panel is refused even when
// adding its place and size would overflow into a small number.
func TestProgramWindowWhoseEdgeOverflowsIsRefused(t *testing.T) {
	for _, w := range []ProgramWindow{
		{Kind: WindowClock, X: 1 << 62, Y: 0, W: 1 << 62, H: 16},
		{Kind: WindowClock, X: 0, Y: 1 << 62, W: 32, H: 1 << 62},
		{Kind: WindowClock, X: 1<<63 - 8, Y: 0, W: 100, H: 8},
	} {
		p := &Program{Width: 64, Height: 32, Windows: []ProgramWindow{w}}
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "not inside") {
			t.Errorf("%d×%d at %d,%d: error %v, want one saying it is not inside", w.W, w.H, w.X, w.Y, err)
		}
	}
}
