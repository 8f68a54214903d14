from omnisynth.cli import main

raise SystemExit(main())
