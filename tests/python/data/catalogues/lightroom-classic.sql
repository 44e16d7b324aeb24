-- Adobe Lightroom Classic catalogue (.lrcat, SQLite): schema of the tables a
-- rating / pick reader needs.
--
-- Lightroom is closed source, so there is no source file to cite. The
-- statements are taken verbatim from a `sqlite3 .schema` dump of a real
-- catalogue published in GitHub repository TurbulentRice/lr-ai-editor, file
-- docs/example_lrcat_schema.sql (last changed in commit
-- 2a7376400bd7873323cede72f949403100e12622; the same repository's
-- docs/example_xmp.xml was written by "Adobe Photoshop Lightroom Classic
-- 14.1.1", so the dump is most likely of an LrC 14.x catalogue). That
-- repository carries no licence file; these are schema statements (facts
-- about Adobe's file format needed for interoperability), not a copy of that
-- file. Cross-checked against:
--   * hfiguiere/lrcat-extractor (MPL-2.0), doc/lrcat_format.md and
--     src/images.rs at commit 8668370ead5f4e2db486742b2a795e5234015110
--     (column meanings, pick/rating values);
--   * preinheimer/lrcat-details (MIT), README.md at commit
--     0545b46d8e599b6ad0eef7c0dc3473ecc9580e38 (LrC 8.4.1): identical
--     AgLibraryRootFolder; its AgLibraryFolder lacks parentId and visibility,
--     i.e. those two columns were added by a later Lightroom Classic release.
-- The text below is what SQLite stored (it drops the trailing ';').
-- Only Adobe_variablesTable, Adobe_images, AgLibraryFile, AgLibraryFolder and
-- AgLibraryRootFolder (and their explicit indexes) are reproduced; a real
-- catalogue has ~110+ tables. Two triggers on AgLibraryFile
-- (trigger_AgDNGProxyInfo_fileDeleted/-Inserted) are omitted: they reference
-- AgDNGProxyInfo, which is not reproduced.

CREATE TABLE Adobe_variablesTable (
    id_local INTEGER PRIMARY KEY,
    id_global UNIQUE NOT NULL,
    name,
    type,
    value NOT NULL DEFAULT ''
);
CREATE TABLE Adobe_images (
    id_local INTEGER PRIMARY KEY,
    id_global UNIQUE NOT NULL,
    aspectRatioCache NOT NULL DEFAULT -1,
    bitDepth NOT NULL DEFAULT 0,
    captureTime,
    colorChannels NOT NULL DEFAULT 0,
    colorLabels NOT NULL DEFAULT '',
    colorMode NOT NULL DEFAULT -1,
    copyCreationTime NOT NULL DEFAULT -63113817600,
    copyName,
    copyReason,
    developSettingsIDCache,
    editLock INTEGER NOT NULL DEFAULT 0,
    fileFormat NOT NULL DEFAULT 'unset',
    fileHeight,
    fileWidth,
    hasMissingSidecars INTEGER,
    masterImage INTEGER,
    orientation,
    originalCaptureTime,
    originalRootEntity INTEGER,
    panningDistanceH,
    panningDistanceV,
    pick NOT NULL DEFAULT 0,
    positionInFolder NOT NULL DEFAULT 'z',
    propertiesCache,
    pyramidIDCache,
    rating,
    rootFile INTEGER NOT NULL DEFAULT 0,
    sidecarStatus,
    touchCount NOT NULL DEFAULT 0,
    touchTime NOT NULL DEFAULT 0
);
CREATE INDEX index_Adobe_images_rootFile ON Adobe_images( rootFile );
CREATE INDEX index_Adobe_images_ratingAndCaptureTime ON Adobe_images( rating, captureTime );
CREATE INDEX index_Adobe_images_originalRootEntity ON Adobe_images( originalRootEntity );
CREATE INDEX index_Adobe_images_masterImage ON Adobe_images( masterImage );
CREATE INDEX index_Adobe_images_captureTime ON Adobe_images( captureTime );
CREATE TABLE AgLibraryFile (
    id_local INTEGER PRIMARY KEY,
    id_global UNIQUE NOT NULL,
    baseName NOT NULL DEFAULT '',
    errorMessage,
    errorTime,
    extension NOT NULL DEFAULT '',
    externalModTime,
    folder INTEGER NOT NULL DEFAULT 0,
    idx_filename NOT NULL DEFAULT '',
    importHash,
    lc_idx_filename NOT NULL DEFAULT '',
    lc_idx_filenameExtension NOT NULL DEFAULT '',
    md5,
    modTime,
    originalFilename NOT NULL DEFAULT '',
    sidecarExtensions
);
CREATE UNIQUE INDEX index_AgLibraryFile_nameAndFolder ON AgLibraryFile( lc_idx_filename, folder );
CREATE INDEX index_AgLibraryFile_folder ON AgLibraryFile( folder );
CREATE INDEX index_AgLibraryFile_importHash ON AgLibraryFile( importHash );
CREATE TABLE AgLibraryFolder (
    id_local INTEGER PRIMARY KEY,
    id_global UNIQUE NOT NULL,
    parentId INTEGER,
    pathFromRoot NOT NULL DEFAULT '',
    rootFolder INTEGER NOT NULL DEFAULT 0,
    visibility INTEGER
);
CREATE UNIQUE INDEX index_AgLibraryFolder_rootFolderAndPath ON AgLibraryFolder( rootFolder, pathFromRoot );
CREATE INDEX index_AgLibraryFolder_parentId ON AgLibraryFolder( parentId );
CREATE TABLE AgLibraryRootFolder (
    id_local INTEGER PRIMARY KEY,
    id_global UNIQUE NOT NULL,
    absolutePath UNIQUE NOT NULL DEFAULT '',
    name NOT NULL DEFAULT '',
    relativePathFromCatalog
);

-- Version row. SYNTHETIC: the name is real (Adobe_variablesTable.name =
-- 'Adobe_DBVersion', value a 7-digit string whose first two digits are the
-- major version: '0400020' Lr 4.4.1, '0600008' Lr 6.0-6.13 per
-- lrcat-extractor's doc/lrcat_format.md). No public source found here gives
-- the exact value for a given Lightroom Classic release; '1300025' only
-- appears in unrelated third-party test fixtures and is NOT verified.
-- In a real catalogue id_global is a UUID string; here it is a placeholder,
-- and 'type' (not documented by the sources) is left NULL.
INSERT INTO Adobe_variablesTable (id_local, id_global, name, type, value)
VALUES (1, '00000000-0000-0000-0000-000000000001', 'Adobe_DBVersion', NULL, '1300025');
