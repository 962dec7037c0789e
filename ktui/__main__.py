from ktui.cli import main

raise SystemExit(main())
