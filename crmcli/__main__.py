"""Allow ``python -m crmcli`` as well as the ``crm`` console script."""

from crmcli.cli import main

main()
