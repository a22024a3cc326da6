"""The functions behind every field, root or nested: read the arguments, ask the loaders or
`db.queries`, return types. No SQL here. `schema/` declares each field (its name, type, guards
and description) with `resolver=` one of these, whose parameters are the field's arguments:

    # schema/types/places.py
    children: Connection[Territory] = strawberry.field(resolver=resolve.children, extensions=[scoped()])

    # resolvers/places.py
    async def children(root: Territory, info: Info, first: int | None = None, ...) -> ...

The types import these modules to declare their fields, and these build the types, so the
two import each other. Here the types are read through the package, `types.places.Territory`,
when a function runs, never while a module loads; annotations name them with imports made
for the type checker only (Strawberry reads a `root` annotation while the type it names is
being defined).
"""
