package ordering

// The step tests' helpers, for the tests that drive the bot through the real stores.
var (
	ButtonIDs = buttonIDs
	IDWith    = idWith
)
