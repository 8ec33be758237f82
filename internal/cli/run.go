package cli

import "errors"

func runRun(s *State, args []string) error { return errors.New("bench run is not built yet") }
