"""One small world for the registration tests: a territory tree and AMs reached each way.

Region › Territory › District, and Elsewhere. `am_territory` covers Territory (so District
below it), `am_direct` has no territory (reached only by being requested), `am_elsewhere`
covers Elsewhere; each has one SC of their own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class World:
    region: int
    territory: int
    district: int
    elsewhere: int
    am_territory: int  # covers `territory` (so `district` below it)
    am_direct: int  # no territories: reached only by being requested
    am_elsewhere: int
    sc_territory: int
    sc_direct: int
    sc_elsewhere: int
    admin: int
    buyer: int
    company: int  # in `district`


async def build_world(make) -> World:
    region = await make.territory("Region")
    territory = await make.territory("Territory", region)
    district = await make.territory("District", territory)
    elsewhere = await make.territory("Elsewhere")
    am_territory = await make.am("AM territory", territories=[territory])
    am_direct = await make.am("AM direct")
    am_elsewhere = await make.am("AM elsewhere", territories=[elsewhere])
    company = await make.company(district, "Acme")
    return World(
        region=region,
        territory=territory,
        district=district,
        elsewhere=elsewhere,
        am_territory=am_territory,
        am_direct=am_direct,
        am_elsewhere=am_elsewhere,
        sc_territory=await make.sc("SC territory", ams=[am_territory]),
        sc_direct=await make.sc("SC direct", ams=[am_direct]),
        sc_elsewhere=await make.sc("SC elsewhere", ams=[am_elsewhere]),
        admin=await make.admin(),
        buyer=await make.buyer(company, direct_am=am_territory),
        company=company,
    )
