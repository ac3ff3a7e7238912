//go:build !race

package formats

// raceEnabled: the race detector slows reading several times over.
const raceEnabled = false
