"""Reading lists from outside (test-point lists, rosters, registers) into rows of known fields. Framework-free.

reader: bytes of an .xlsx or .csv (UTF-8, UTF-8 with BOM, GBK) -> a table of text cells, merged cells filled in.
columns: which column is which field, from the headers Chinese lists commonly have, plus a person's mapping.
normalize: the keys people write differently (full-width digits, doors, phones, masked ID numbers, dates).
draft: an upload between its preview and its saving; matching: a list's rows to the residents of a scope.
Reconciling a list (server/reconcile) and importing the register (server/register/importing.py) both use it.
"""
