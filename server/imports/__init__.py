"""Reading lists from outside (test-point lists, rosters, registers) into rows of known fields. Framework-free.

reader: bytes of an .xlsx or .csv (UTF-8, UTF-8 with BOM, GBK) -> a table of text cells, merged cells filled in.
columns: which column is which field, from the headers Chinese lists commonly have, plus a person's mapping.
normalize: the keys people write differently (full-width digits, doors, phones, masked ID numbers).
The reconcile domain uses it today; the register import (issue 5) is meant to reuse it as is.
"""
