from endnoted.cli import main

main()
