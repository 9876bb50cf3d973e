package web

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pano-signage/pano/protocol"
)

func TestMessagesComplete(t *testing.T) {
	for key := range messages["vi"] {
		if _, ok := messages["en"][key]; !ok {
			t.Errorf("key %q has no English string", key)
		}
	}
	for key := range messages["en"] {
		if _, ok := messages["vi"][key]; !ok {
			t.Errorf("key %q has no Vietnamese string", key)
		}
	}
}

func TestRenderIndexVietnameseFirst(t *testing.T) {
	page := IndexPage{Agents: []AgentRow{{Name: "truong-thcs", Panel: protocol.Panel{Width: 64, Height: 32}}}}
	var vi, en bytes.Buffer
	if err := RenderIndex(&vi, page); err != nil {
		t.Fatal(err)
	}
	page.Lang = "en"
	if err := RenderIndex(&en, page); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(vi.String(), "Màn hình trực tuyến (1)") || !strings.Contains(vi.String(), `lang="vi"`) {
		t.Errorf("default page is not Vietnamese:\n%s", vi.String())
	}
	if !strings.Contains(en.String(), "Screens online (1)") || !strings.Contains(en.String(), "64×32") {
		t.Errorf("English page:\n%s", en.String())
	}
}
