// Command gatehouse runs the Gatehouse API gateway. See internal/cli.
package main

import (
	"os"

	"github.com/gatehouse-dev/gatehouse/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
