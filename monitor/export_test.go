package monitor

// InfosOf makes up a hand-written report's transaction lists (infosOf),
// for the tests outside the package.
var InfosOf = infosOf
