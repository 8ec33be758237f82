package cli

import "errors"

func runList(s *State, args []string) error { return errors.New("bench list is not built yet") }
