-- darktable 4.2.1 library.db: schema of the tables a rating reader needs.
--
-- Source: a real, empty library created on Debian 12 (bookworm) by the
-- distribution package darktable 4.2.1-4 (amd64), with
--   darktable-cli photos/some.jpg out.jpg --core --library <dir>/library.db \
--       --configdir <dir> --conf write_sidecar_files="on import"
-- then read back from sqlite_master (the text below is exactly what darktable
-- executed, as SQLite stored it; darktable issues it as "CREATE TABLE main.<name>",
-- SQLite records it without the schema prefix). The same CREATE TABLE strings
-- (with the "main." prefix) are in /usr/lib/x86_64-linux-gnu/darktable/libdarktable.so
-- of that package, which is built from src/common/database.c at tag
-- release-4.2.1 (the source file itself was not read at that tag).
-- Only the tables images, film_rolls and db_info (and their indexes) are
-- reproduced; a real library.db has more tables (history, tagged_images,
-- color_labels, meta_data, selected_images, masks_history, module_order, ...).
--
-- Licence note: darktable is GPL-3.0-or-later. These are schema statements
-- (interface facts) needed for interoperability, not a copy of a source file.
--
-- db_info.version = 37 is the library schema version of darktable 4.2.1
-- (darktable binds an int; the VARCHAR column stores it as text '37').

CREATE TABLE db_info (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE film_rolls (id INTEGER PRIMARY KEY, access_timestamp INTEGER, folder VARCHAR(1024) NOT NULL);
CREATE INDEX film_rolls_folder_index ON film_rolls (folder);
CREATE TABLE images (id INTEGER PRIMARY KEY AUTOINCREMENT, group_id INTEGER, film_id INTEGER, width INTEGER, height INTEGER, filename VARCHAR, maker VARCHAR, model VARCHAR, lens VARCHAR, exposure REAL, aperture REAL, iso REAL, focal_length REAL, focus_distance REAL, datetime_taken INTEGER, flags INTEGER, output_width INTEGER, output_height INTEGER, crop REAL, raw_parameters INTEGER, raw_denoise_threshold REAL, raw_auto_bright_threshold REAL, raw_black INTEGER, raw_maximum INTEGER, license VARCHAR, sha1sum CHAR(40), orientation INTEGER, histogram BLOB, lightmap BLOB, longitude REAL, latitude REAL, altitude REAL, color_matrix BLOB, colorspace INTEGER, version INTEGER, max_version INTEGER, write_timestamp INTEGER, history_end INTEGER, position INTEGER, aspect_ratio REAL, exposure_bias REAL, import_timestamp INTEGER DEFAULT -1, change_timestamp INTEGER DEFAULT -1, export_timestamp INTEGER DEFAULT -1, print_timestamp INTEGER DEFAULT -1, FOREIGN KEY(film_id) REFERENCES film_rolls(id) ON DELETE CASCADE ON UPDATE CASCADE, FOREIGN KEY(group_id) REFERENCES images(id) ON DELETE RESTRICT ON UPDATE CASCADE);
CREATE INDEX images_group_id_index ON images (group_id, id);
CREATE INDEX images_film_id_index ON images (film_id, filename);
CREATE INDEX images_filename_index ON images (filename, version);
CREATE INDEX image_position_index ON images (position);
CREATE INDEX images_datetime_taken_nc ON images (datetime_taken);
CREATE INDEX images_latlong_index ON images (latitude DESC, longitude DESC);
INSERT INTO db_info (key, value) VALUES ('version', 37);
