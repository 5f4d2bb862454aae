-- Runs once, when the postgres volume is first created. The server's own database (airflow,
-- from POSTGRES_DB) is Airflow's metadata DB; this adds Marquez's.
-- Marquez's image defaults to database "marquez", user "marquez", password "marquez"
-- (marquez.dev.yml); these are local demo credentials, not secrets.
CREATE USER marquez WITH PASSWORD 'marquez';
-- Owner, not just GRANT: since PostgreSQL 15 only the database owner may create tables in the
-- public schema, and Marquez creates its tables there on startup.
CREATE DATABASE marquez OWNER marquez;
