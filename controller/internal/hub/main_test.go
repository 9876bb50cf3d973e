package hub

import (
	"testing"

	"go.uber.org/goleak"
)

// Every connection's pumps must end with it: no test may leave a goroutine
// behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
