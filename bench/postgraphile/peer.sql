-- Peer (d): the schema PostGraphile serves, over the service's own tables, on the bench
-- database only (bench/peer.py runs this file before each PostgreSQL run; never part of
-- the service's migrations).
--
-- PostGraphile exposes only this schema:
-- * views of the service's tables with the columns the service shows (no password hash),
--   with the foreign keys PostGraphile may follow declared as smart tags: a user's company,
--   a company's territory, an item's content. PostgreSQL inlines the views, so reading
--   one costs what reading its table costs; PostGraphile joins along those keys within
--   its single statement, as it would over plain tables;
-- * STABLE SQL functions for everything that applies the viewer's scope (R1, R2, R9):
--   the roots, and computed columns such as `users_associated_buyers(u)`, the field
--   `associatedBuyers` of `User`. The preset (server.mjs) turns off every root field,
--   mutation and reverse relation of the views, so no row is reachable except through
--   them.
--
-- The viewer is the user named by the token PostGraphile verified (jwt.claims.sub, set per
-- request through pgSettings), read from `users` on every request as the service does.
-- Every row a query can reach comes from a scoped root, and the foreign keys keep to what
-- that row may show: a visible buyer's company and a visible company's territory are
-- visible by R1/R2 (the raw floor relies on the same fact); the lists of a meeting the
-- viewer manages are visible through it (R11). Viewer-wide values are wrapped in
-- `(SELECT ...)` so that PostgreSQL computes them once per statement.
--
-- The body of reporting_by_account_manager is the floor's own reporting statement, put in
-- by bench/peer.py where the placeholder in braces stands.

DROP SCHEMA IF EXISTS bench_peer CASCADE;
CREATE SCHEMA bench_peer;

-- -- the service's tables as PostGraphile sees them --------------------------------------
CREATE VIEW bench_peer.users AS
  SELECT id, email, name, role, active, company_id, direct_am_id FROM public.users;
CREATE VIEW bench_peer.companies AS SELECT id, name, territory_id FROM public.companies;
CREATE VIEW bench_peer.territories AS SELECT id, name, parent_id FROM public.territories;
CREATE VIEW bench_peer.meetings AS SELECT id, host_id, title, starts_at, status FROM public.meetings;
CREATE VIEW bench_peer.notes AS SELECT id, meeting_id, phase, shared, text FROM public.notes;
CREATE VIEW bench_peer.lists AS SELECT id, owner_id, kind, name, buyer_id FROM public.lists;
CREATE VIEW bench_peer.list_items AS
  SELECT id, list_id, content_id, position, note FROM public.list_items;
CREATE VIEW bench_peer.contents AS SELECT id, title, kind, reference FROM public.contents;

COMMENT ON VIEW bench_peer.users IS
  E'@primaryKey id\n@foreignKey (company_id) references bench_peer.companies (id)|@fieldName company';
COMMENT ON VIEW bench_peer.companies IS
  E'@primaryKey id\n@foreignKey (territory_id) references bench_peer.territories (id)|@fieldName territory';
COMMENT ON VIEW bench_peer.list_items IS
  E'@primaryKey id\n@foreignKey (content_id) references bench_peer.contents (id)|@fieldName content';
COMMENT ON VIEW bench_peer.territories IS '@primaryKey id';
COMMENT ON VIEW bench_peer.meetings IS '@primaryKey id';
COMMENT ON VIEW bench_peer.notes IS '@primaryKey id';
COMMENT ON VIEW bench_peer.lists IS '@primaryKey id';
COMMENT ON VIEW bench_peer.contents IS '@primaryKey id';

-- -- the viewer and their scope (internal: not exposed) -------------------------------
CREATE FUNCTION bench_peer.viewer_id() RETURNS int LANGUAGE sql STABLE AS $$
  SELECT id FROM public.users
  WHERE id = nullif(current_setting('jwt.claims.sub', true), '')::int AND active
$$;

CREATE FUNCTION bench_peer.viewer_role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT role FROM public.users WHERE id = (SELECT bench_peer.viewer_id())
$$;

CREATE FUNCTION bench_peer.sees_everything() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT bench_peer.viewer_role()) = 'ADMIN', false)
$$;

-- The AMs whose scope the viewer works in: an SC's assigned AMs (R2), an AM themselves.
CREATE FUNCTION bench_peer.scope_account_managers() RETURNS SETOF int LANGUAGE sql STABLE AS $$
  SELECT am_id FROM public.account_manager_coordinators
  WHERE sc_id = (SELECT bench_peer.viewer_id())
    AND (SELECT bench_peer.viewer_role()) = 'SALES_COORDINATOR'
  UNION ALL
  SELECT (SELECT bench_peer.viewer_id()) WHERE (SELECT bench_peer.viewer_role()) = 'ACCOUNT_MANAGER'
$$;

-- Territories in or below those AMs' territories (the territory half of R1).
CREATE FUNCTION bench_peer.scope_territories() RETURNS SETOF int LANGUAGE sql STABLE AS $$
  WITH RECURSIVE tree(id) AS (
    SELECT territory_id FROM public.account_manager_territories
    WHERE am_id IN (SELECT bench_peer.scope_account_managers())
    UNION SELECT t.id FROM public.territories t JOIN tree ON t.parent_id = tree.id)
  SELECT id FROM tree
$$;

-- Buyers associated with those AMs (R1): directly, or by their company's territory.
CREATE FUNCTION bench_peer.scope_buyers() RETURNS SETOF int LANGUAGE sql STABLE AS $$
  SELECT id FROM public.users
  WHERE role = 'BUYER' AND direct_am_id IN (SELECT bench_peer.scope_account_managers())
  UNION
  SELECT u.id FROM public.users u JOIN public.companies c ON c.id = u.company_id
  WHERE u.role = 'BUYER' AND c.territory_id IN (SELECT bench_peer.scope_territories())
$$;

-- Whether the viewer may manage meetings of `host` (R9 on the web, R10 through the app).
CREATE FUNCTION bench_peer.manages_host(host int) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN current_setting('jwt.claims.ch', true) = 'APP' THEN host = (SELECT bench_peer.viewer_id())
    WHEN (SELECT bench_peer.sees_everything()) THEN true
    ELSE host = (SELECT bench_peer.viewer_id())
      OR host IN (SELECT bench_peer.scope_account_managers())
  END
$$;

COMMENT ON FUNCTION bench_peer.viewer_id() IS '@behavior -queryField -typeField';
COMMENT ON FUNCTION bench_peer.viewer_role() IS '@behavior -queryField -typeField';
COMMENT ON FUNCTION bench_peer.sees_everything() IS '@behavior -queryField -typeField';
COMMENT ON FUNCTION bench_peer.scope_account_managers() IS '@behavior -queryField -typeField';
COMMENT ON FUNCTION bench_peer.scope_territories() IS '@behavior -queryField -typeField';
COMMENT ON FUNCTION bench_peer.scope_buyers() IS '@behavior -queryField -typeField';
COMMENT ON FUNCTION bench_peer.manages_host(int) IS '@behavior -queryField -typeField';

-- -- roots ----------------------------------------------------------------------------
CREATE FUNCTION bench_peer.viewer() RETURNS bench_peer.users LANGUAGE sql STABLE AS $$
  SELECT * FROM bench_peer.users WHERE id = (SELECT bench_peer.viewer_id())
$$;

-- Q2, Q5: buyers in scope, by name (every buyer for an admin).
CREATE FUNCTION bench_peer.buyers_in_scope() RETURNS SETOF bench_peer.users LANGUAGE sql STABLE AS $$
  SELECT * FROM bench_peer.users
  WHERE role = 'BUYER'
    AND ((SELECT bench_peer.sees_everything()) OR id IN (SELECT bench_peer.scope_buyers()))
  ORDER BY name, id
$$;

-- Q3: a meeting the viewer may manage.
CREATE FUNCTION bench_peer.meeting(id int) RETURNS bench_peer.meetings LANGUAGE sql STABLE AS $$
  SELECT * FROM bench_peer.meetings m WHERE m.id = meeting.id AND bench_peer.manages_host(m.host_id)
$$;

-- Q4: the viewer's activity over [start, end) by AM (R12), the floor's statement.
CREATE TYPE bench_peer.activity_counts AS (
  sign_ins int, meetings_held int, notes_written int, items_added int,
  summaries_sent int, registrations_decided int, total int);
CREATE TYPE bench_peer.account_manager_report AS (label text, counts bench_peer.activity_counts);

CREATE FUNCTION bench_peer.reporting_by_account_manager(start timestamptz, "end" timestamptz)
RETURNS SETOF bench_peer.account_manager_report LANGUAGE sql STABLE AS $$
  SELECT r.label, ROW(r.s1::int, r.s2::int, r.s3::int, r.s4::int, r.s5::int, r.s6::int,
                      r.total::int)::bench_peer.activity_counts
  FROM ({reporting}) AS r(label, s1, s2, s3, s4, s5, s6, total)
  WHERE (SELECT bench_peer.viewer_role()) = 'SALES_COORDINATOR'
$$;

-- -- computed columns -----------------------------------------------------------------
-- An SC's AMs (R2), as far as the viewer sees them.
CREATE FUNCTION bench_peer.users_account_managers(u bench_peer.users) RETURNS SETOF bench_peer.users
LANGUAGE sql STABLE AS $$
  SELECT a.* FROM bench_peer.users a
  WHERE a.id IN (SELECT am_id FROM public.account_manager_coordinators WHERE sc_id = u.id)
    AND ((SELECT bench_peer.sees_everything())
         OR a.id IN (SELECT bench_peer.scope_account_managers()))
  ORDER BY a.name, a.id
$$;

-- An AM's associated buyers (R1), for a viewer whose scope holds the AM.
CREATE FUNCTION bench_peer.users_associated_buyers(am bench_peer.users) RETURNS SETOF bench_peer.users
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE tree(id) AS (
    SELECT territory_id FROM public.account_manager_territories WHERE am_id = am.id
    UNION SELECT t.id FROM public.territories t JOIN tree ON t.parent_id = tree.id)
  SELECT b.* FROM bench_peer.users b
  WHERE b.role = 'BUYER'
    AND (b.direct_am_id = am.id OR b.company_id IN (
      SELECT c.id FROM public.companies c WHERE c.territory_id IN (SELECT id FROM tree)))
    AND ((SELECT bench_peer.sees_everything())
         OR am.id IN (SELECT bench_peer.scope_account_managers()))
  ORDER BY b.name, b.id
$$;

-- A meeting's attendees, as far as the viewer may see them (a cheap test per attendee: a
-- direct buyer of one of the viewer's AMs, or a company inside their territories).
CREATE FUNCTION bench_peer.meetings_attendees(m bench_peer.meetings) RETURNS SETOF bench_peer.users
LANGUAGE sql STABLE AS $$
  SELECT u.* FROM public.meeting_attendees a JOIN bench_peer.users u ON u.id = a.buyer_id
  WHERE a.meeting_id = m.id
    AND ((SELECT bench_peer.sees_everything())
         OR u.direct_am_id IN (SELECT bench_peer.scope_account_managers())
         OR u.company_id IN (SELECT c.id FROM public.companies c
                             WHERE c.territory_id IN (SELECT bench_peer.scope_territories())))
  ORDER BY u.name, u.id
$$;

-- Notes of the meeting; a buyer sees only the notes shared with them (R13, R37).
CREATE FUNCTION bench_peer.meetings_notes(m bench_peer.meetings) RETURNS SETOF bench_peer.notes
LANGUAGE sql STABLE AS $$
  SELECT * FROM bench_peer.notes n
  WHERE n.meeting_id = m.id AND (n.shared OR (SELECT bench_peer.viewer_role()) <> 'BUYER')
  ORDER BY n.id
$$;

-- Lists used in the meeting: visible through it to whoever manages it (R11).
CREATE FUNCTION bench_peer.meetings_lists(m bench_peer.meetings) RETURNS SETOF bench_peer.lists
LANGUAGE sql STABLE AS $$
  SELECT l.* FROM public.meeting_lists ml JOIN bench_peer.lists l ON l.id = ml.list_id
  WHERE ml.meeting_id = m.id
  ORDER BY l.name, l.id
$$;

CREATE FUNCTION bench_peer.lists_items(l bench_peer.lists) RETURNS SETOF bench_peer.list_items
LANGUAGE sql STABLE AS $$
  SELECT * FROM bench_peer.list_items WHERE list_id = l.id ORDER BY position, id
$$;
