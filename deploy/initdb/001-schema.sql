-- dolmetsch: the translation history and job schema (schema_version 4) for MariaDB / MySQL.
--
-- For the official image convention: mount this folder at /docker-entrypoint-initdb.d. The entrypoint
-- runs it once, on an empty data directory, in the database named by MYSQL_DATABASE (set it to
-- `translation`, as the original deployment does). dolmetsch creates the same schema itself on start-up
-- (and upgrades the original app's bare `translations(id, text_de, text_en)` table in place), so this file
-- is only needed when the application user may not run DDL. Keep it identical to kCreateTranslations,
-- kCreateJobs, kCreateJobUnits and kCreateJobFiles in store/mysql_store.cc (store_tests checks that both produce the same
-- tables).

CREATE TABLE IF NOT EXISTS translations (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  text_de LONGTEXT,
  text_en LONGTEXT,
  created_at BIGINT NOT NULL DEFAULT 0,          -- seconds since the epoch (UTC); 0 for rows of the original app
  owner VARBINARY(128) NOT NULL DEFAULT '',      -- opaque owner id from the cookie; compared byte for byte
  model VARCHAR(255) NOT NULL DEFAULT '',        -- model that made the translation
  client_key VARBINARY(64) NULL DEFAULT NULL,    -- idempotency key (UUID): journal replays never duplicate
  source_lang VARCHAR(35) NULL DEFAULT NULL,     -- language of text_de; NULL (original app, before v3) = de
  target_lang VARCHAR(35) NULL DEFAULT NULL,     -- language of text_en; NULL = en
  file_name VARCHAR(255) NULL DEFAULT NULL,      -- an uploaded document's name (v4); NULL = a pasted text
  UNIQUE KEY translations_client_key (client_key),
  KEY translations_owner_id (owner, id),
  FULLTEXT KEY translations_fulltext (text_de, text_en)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Translation jobs (store/job_store.h): a long text survives the page, the process and the replica.
CREATE TABLE IF NOT EXISTS jobs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  owner VARBINARY(128) NOT NULL DEFAULT '',
  state VARCHAR(16) NOT NULL DEFAULT 'queued',   -- queued, running, done, failed, cancelled
  text_de LONGTEXT NOT NULL,
  model VARCHAR(255) NOT NULL DEFAULT '',
  total_units BIGINT NOT NULL DEFAULT 0,         -- sentences of the text, once a worker planned it
  done_units BIGINT NOT NULL DEFAULT 0,          -- sentences saved in job_units (the checkpoint)
  created_at BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL DEFAULT 0,
  finished_at BIGINT NOT NULL DEFAULT 0,
  error VARCHAR(1000) NOT NULL DEFAULT '',
  history_id BIGINT NOT NULL DEFAULT 0,          -- done: the translations row (client_key 'job-<id>')
  lease_owner VARBINARY(128) NOT NULL DEFAULT '',-- running: the worker holding the job
  lease_expires_ms BIGINT NOT NULL DEFAULT 0,    -- until then; afterwards any worker may take it over
  source_lang VARCHAR(35) NOT NULL DEFAULT 'de', -- the pair to translate
  target_lang VARCHAR(35) NOT NULL DEFAULT 'en',
  KEY jobs_state_id (state, id),
  KEY jobs_owner_id (owner, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS job_units (
  job_id BIGINT UNSIGNED NOT NULL,
  unit BIGINT NOT NULL,
  text_en LONGTEXT NOT NULL,
  PRIMARY KEY (job_id, unit)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A file job's uploaded ('input') and translated ('output') document (v4).
CREATE TABLE IF NOT EXISTS job_files (
  job_id BIGINT UNSIGNED NOT NULL,
  role VARCHAR(8) NOT NULL,
  name VARCHAR(255) NOT NULL,
  content LONGBLOB NOT NULL,
  PRIMARY KEY (job_id, role)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

DELETE FROM schema_version;
INSERT INTO schema_version (version) VALUES (4);
