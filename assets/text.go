package assets

// TickerInfo placeholder, replaced below.
type TickerInfo struct{}
