package player

import (
	"errors"
	"image"
)

// openVideo plays a video rendition. The rendition format comes with the
// content pipeline; until the agent reads it, video items are reported as
// unplayable and skipped.
func openVideo(path string, fps int, panel image.Rectangle) (source, error) {
	return nil, errors.New("video renditions are not playable by this agent build yet")
}
