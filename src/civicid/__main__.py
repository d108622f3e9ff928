from civicid.cli import main

main()
