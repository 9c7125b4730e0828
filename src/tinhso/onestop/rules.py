"""Permission rules of the one-stop app (registered with tinhso.accounts.rules)."""
