from textops.cli import main

main()
