"""Who may see what, below every domain (docs/decisions/0030): the user behind a request, their scope in the
register, and how records are masked for those who may not see them whole. Knows no table and no HTTP, so that
accounts, audit, places, web and every domain import it and it imports none of them.

scope: CurrentUser, Scope (and Scope.filter, the one way to narrow a query to the grids in scope), the roles.
masks: mask_phone, mask_name, mask_id_number.
"""
