-- digiKam 7.9.0 core database (digikam4.db, SQLite): schema of the tables a
-- rating / pick-label reader needs.
--
-- Source: the "CreateDB" and "CreateIndices" dbactions of the QSQLITE section of
-- /usr/share/digikam/database/dbconfig.xml in the Debian 12 (bookworm) package
-- digikam-data 4:7.9.0-1. That file is generated at build time from
-- core/data/database/dbconfig.xml.cmake.in of digiKam tag v7.9.0 (only the
-- <version> placeholder is substituted; it is 3). Statement text is copied as
-- digiKam executes it (element text, leading/trailing blanks removed;
-- SQLite ignores them anyway), including its internal line breaks/indentation.
-- Only AlbumRoots, Albums, Images, ImageInformation, Tags, TagProperties,
-- ImageTags and Settings (and their indexes) are reproduced; a real
-- digikam4.db has more tables (TagsTree, ImageMetadata, ImageComments, ...),
-- and triggers from the "CreateTriggers" dbaction, which are omitted here.
--
-- Schema/version facts, from libdigikamdatabase.so.7.9.0 in the Debian package
-- digikam-private-libs 4:7.9.0-1+b2 (disassembled):
--   CoreDbSchemaUpdater::schemaVersion() returns 15, and createDatabase()
--   stores both DBVersion and DBVersionRequired = schemaVersion() for a new
--   database (CoreDB::setSetting executes "REPLACE INTO Settings VALUES (?,?);").
--
-- Caveat: databases created by older digiKam releases and upgraded to 15 get
-- Images.manualOrder (UpdateSchemaFromV9ToV10) and Albums.modificationDate
-- (UpdateSchemaFromV13ToV14) via ALTER TABLE ... ADD, so their stored CREATE
-- text differs although the column set and order are the same.
--
-- Licence note: digiKam is GPL-2.0-or-later. These are schema statements
-- (interface facts) needed for interoperability, not a copy of a source file.

CREATE TABLE AlbumRoots
                    (id INTEGER PRIMARY KEY,
                    label TEXT,
                    status INTEGER NOT NULL,
                    type INTEGER NOT NULL,
                    identifier TEXT,
                    specificPath TEXT,
                    UNIQUE(identifier, specificPath));
CREATE TABLE Albums
                    (id INTEGER PRIMARY KEY,
                    albumRoot INTEGER NOT NULL,
                    relativePath TEXT NOT NULL,
                    date DATE,
                    caption TEXT,
                    collection TEXT,
                    icon INTEGER,
                    modificationDate DATETIME,
                    UNIQUE(albumRoot, relativePath));
CREATE TABLE Images
                    (id INTEGER PRIMARY KEY,
                    album INTEGER,
                    name TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    category INTEGER NOT NULL,
                    modificationDate DATETIME,
                    fileSize INTEGER,
                    uniqueHash TEXT,
                    manualOrder INTEGER,
                    UNIQUE (album, name));
CREATE INDEX dir_index  ON Images (album);
CREATE INDEX hash_index ON Images (uniqueHash);
CREATE INDEX image_name_index ON Images (name);
CREATE TABLE ImageInformation
                    (imageid INTEGER PRIMARY KEY,
                    rating INTEGER,
                    creationDate DATETIME,
                    digitizationDate DATETIME,
                    orientation INTEGER,
                    width INTEGER,
                    height INTEGER,
                    format TEXT,
                    colorDepth INTEGER,
                    colorModel INTEGER);
CREATE INDEX creationdate_index ON ImageInformation (creationDate);
CREATE TABLE IF NOT EXISTS Tags
                    (id INTEGER PRIMARY KEY,
                    pid INTEGER,
                    name TEXT NOT NULL,
                    icon INTEGER,
                    iconkde TEXT,
                    UNIQUE (name, pid));
CREATE TABLE TagProperties
                    (tagid INTEGER,
                    property TEXT,
                    value TEXT);
CREATE INDEX tagproperties_index ON TagProperties (tagid);
CREATE TABLE IF NOT EXISTS ImageTags
                    (imageid INTEGER NOT NULL,
                    tagid INTEGER NOT NULL,
                    UNIQUE (imageid, tagid));
CREATE INDEX tag_index  ON ImageTags (tagid);
CREATE INDEX tag_id_index  ON ImageTags (imageid);
CREATE TABLE IF NOT EXISTS Settings
                    (keyword TEXT NOT NULL UNIQUE,
                    value TEXT);

-- Version rows as a freshly created 7.9.0 database holds them.
REPLACE INTO Settings VALUES ('DBVersion','15');
REPLACE INTO Settings VALUES ('DBVersionRequired','15');
