package cluster

import (
	"testing"

	"go.uber.org/goleak"
)

// The bus's worker, the hubs' pumps and the embedded NATS servers must end
// with each test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
