-- Run once by the postgres image when its data volume is new (docker-entrypoint-initdb.d), as
-- POSTGRES_USER: one database for the register map and one per member of the compose
-- federation, owned by that user. The names are those in the map.toml and node.toml files that
-- docker/gen-pki.sh writes (once_<service>).
CREATE DATABASE once_map;
CREATE DATABASE once_elterngeld;
CREATE DATABASE once_bremen;
CREATE DATABASE once_pension;
