-- dolmetsch: the translation history schema (schema_version 1) for MariaDB / MySQL.
--
-- For the official image convention: mount this folder at /docker-entrypoint-initdb.d. The entrypoint
-- runs it once, on an empty data directory, in the database named by MYSQL_DATABASE (set it to
-- `translation`, as the original deployment does). dolmetsch creates the same schema itself on start-up
-- (and upgrades the original app's bare `translations(id, text_de, text_en)` table in place), so this file
-- is only needed when the application user may not run DDL. Keep it identical to kCreateTranslations in
-- store/mysql_store.cc (store_tests checks that both produce the same table).

CREATE TABLE IF NOT EXISTS translations (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  text_de LONGTEXT,
  text_en LONGTEXT,
  created_at BIGINT NOT NULL DEFAULT 0,          -- seconds since the epoch (UTC); 0 for rows of the original app
  owner VARBINARY(128) NOT NULL DEFAULT '',      -- opaque owner id from the cookie; compared byte for byte
  model VARCHAR(255) NOT NULL DEFAULT '',        -- model that made the translation
  client_key VARBINARY(64) NULL DEFAULT NULL,    -- idempotency key (UUID): journal replays never duplicate
  UNIQUE KEY translations_client_key (client_key),
  KEY translations_owner_id (owner, id),
  FULLTEXT KEY translations_fulltext (text_de, text_en)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

DELETE FROM schema_version;
INSERT INTO schema_version (version) VALUES (1);
