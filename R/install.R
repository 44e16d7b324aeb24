#' Install pyphotoq and its Python dependencies
#'
#' Sets up a Python environment with pyphotoq, in the style of
#' `keras3::install_keras()`: a virtualenv by default (with
#' [reticulate::virtualenv_create()] and [reticulate::virtualenv_install()]), or
#' a conda environment from an environment file (see [write_conda_env()]).
#' photoq then uses the environment `r-photoq` by itself (no restart is
#' needed unless Python was already started in the R session, which
#' `library(photoq)` does not do; the message says which); for another name or
#' folder, set `PHOTOQ_PYTHON` to the Python this function returns.
#'
#' photoq works with Debian's 'reticulate' 1.28 and the numpy 2 that
#' TensorFlow brings: nothing crosses from Python as a numpy array.
#'
#' @param method `"virtualenv"` or `"conda"`.
#' @param envname Name of the environment (under
#'   [reticulate::virtualenv_root()] or conda's), or a path to its folder.
#' @param source What pip installs for pyphotoq: a path to a checkout of the
#'   photoq repository, a wheel, or a requirement. `NULL` (the default): the
#'   environment variable `PHOTOQ_SOURCE` if set, else the copy of pyphotoq's
#'   source that this R package carries (`system.file("python", package =
#'   "photoq")`, put there when the package is built from the repository).
#' @param python The Python that creates the virtualenv (`NULL`: the one
#'   'reticulate' picks); for conda, the Python version of the environment file
#'   written when `envfile` is `NULL`.
#' @param system_site_packages Let the virtualenv see the packages of `python`,
#'   so an installed TensorFlow is reused rather than downloaded again (the
#'   default).
#' @param envfile For conda: an environment file; `NULL` writes one that
#'   installs `source` with pip.
#' @param extra_packages More pip requirements to install.
#' @param conda Path to the conda executable, or `"auto"`.
#' @param force Remove an existing virtualenv of that name first.
#' @param pip_options More options for `pip install` in the virtualenv, e.g.
#'   `"--quiet"` or `"--no-build-isolation"`.
#' @return The path of the new environment's Python, invisibly. An
#'   environment that this call created and could not complete is removed
#'   before the error is raised.
#' @export
#' @examples
#' \dontrun{
#' # pyphotoq from the source this package carries, reusing an installed TensorFlow
#' install_photoq()
#' # or from a checkout of the photoq repository, with a given Python
#' install_photoq(source = "~/src/photoq", python = "/usr/bin/python3")
#' # or with conda
#' write_conda_env("environment.yml", package = "~/src/photoq")
#' install_photoq(method = "conda", envfile = "environment.yml")
#' }
install_photoq <- function(method = c("virtualenv", "conda"), envname = "r-photoq",
                           source = NULL,
                           python = NULL, system_site_packages = TRUE, envfile = NULL,
                           extra_packages = NULL, conda = "auto", force = FALSE,
                           pip_options = character()) {
  method <- match.arg(method)
  envname <- check_string(envname, "envname")
  system_site_packages <- check_flag(system_site_packages, "system_site_packages")
  force <- check_flag(force, "force")
  source <- local_package(check_string(source %||% bundled_source(), "source"))
  extra <- if (is.null(extra_packages)) character() else as.character(extra_packages)
  if (grepl("/", envname, fixed = TRUE)) {
    envname <- normalizePath(path.expand(envname), winslash = "/", mustWork = FALSE)
  }
  # Python processes started from R see R's LD_LIBRARY_PATH, whose system folders can
  # put another libpython ahead of the interpreter's own (e.g. Debian's under pyenv's).
  restore <- python_library_path()
  on.exit(Sys.setenv(LD_LIBRARY_PATH = restore), add = TRUE)
  if (method == "virtualenv") {
    if (!is.null(python)) {
      python <- normalizePath(path.expand(check_string(python, "python")), mustWork = TRUE)
    }
    if (force && reticulate::virtualenv_exists(envname)) {
      reticulate::virtualenv_remove(envname, confirm = FALSE)
    }
    existed <- reticulate::virtualenv_exists(envname)
    # pip builds in a local source folder: give it a copy (the R library may be read-only)
    packages <- c(copy_source(source), extra)
    env_python <- tryCatch({
      # packages = FALSE: no upgrade of pip or numpy on top of what `python` has
      reticulate::virtualenv_create(envname, python = python, packages = FALSE,
                                    system_site_packages = system_site_packages)
      reticulate::virtualenv_install(envname, packages = packages,
                                     pip_options = as.character(pip_options))
      python_env <- reticulate::virtualenv_python(envname)
      if (is.na(python_has_pyphotoq(python_env))) {
        stop("the new environment's Python (", python_env, ") cannot import pyphotoq")
      }
      python_env
    }, error = function(e) {
      removed <- !existed && isTRUE(tryCatch({
        reticulate::virtualenv_remove(envname, confirm = FALSE)
        TRUE
      }, error = function(e2) FALSE))
      photoq_stop("install_photoq() could not install pyphotoq (", trim_message(conditionMessage(e)), ")",
                  if (removed) paste0("; the unfinished environment ", envname, " was removed") else "",
                  call = NULL)
    })
  } else {
    if (is.null(envfile)) {
      envfile <- tempfile("photoq-environment", fileext = ".yml")
      write_minimal_env(envfile, envname, python %||% "3.11", c(source, extra))
    } else {
      envfile <- normalizePath(path.expand(check_string(envfile, "envfile")), mustWork = TRUE)
    }
    env_python <- reticulate::conda_create(envname, environment = envfile, conda = conda)
  }
  version <- python_has_pyphotoq(env_python)
  if (is.na(version)) {
    photoq_stop("The new environment's Python (", env_python, ") cannot import pyphotoq")
  }
  default <- identical(envname, "r-photoq") && method == "virtualenv"
  # a restart is needed only when this R session already started another Python
  restart <- reticulate::py_available(initialize = FALSE)
  message(
    "pyphotoq ", version, " is installed in ", env_python, ".\n",
    if (restart) "Python already runs in this R session: restart R; then " else "No restart needed: ",
    if (default) "photoq uses this environment by itself (unless PHOTOQ_PYTHON or RETICULATE_PYTHON is set)."
    else sprintf("set Sys.setenv(PHOTOQ_PYTHON = \"%s\") before the first photoq call.", env_python)
  )
  invisible(env_python)
}

# Set LD_LIBRARY_PATH for Python child processes: without R's own library folder
# and the system library folders that R's ldpaths puts first (the loader searches
# those anyway, after the interpreter's RUNPATH). Returns the value to restore.
python_library_path <- function() {
  old <- Sys.getenv("LD_LIBRARY_PATH")
  parts <- strsplit(old, ":", fixed = TRUE)[[1]]
  system <- c("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib")
  drop <- parts == "" | parts %in% c(R.home("lib"), system) |
    grepl("^(/usr)?/lib(64)?/[^/]+-linux-gnu[^/]*/?$", parts)
  Sys.setenv(LD_LIBRARY_PATH = paste(parts[!drop], collapse = ":"))
  old
}

# The pyphotoq version a Python imports (in a separate process), or NA.
python_has_pyphotoq <- function(python) {
  restore <- python_library_path()
  on.exit(Sys.setenv(LD_LIBRARY_PATH = restore), add = TRUE)
  out <- suppressWarnings(system2(
    python, c("-c", shQuote("import pyphotoq; print(pyphotoq.__version__)")),
    stdout = TRUE, stderr = FALSE
  ))
  status <- attr(out, "status")
  if ((!is.null(status) && status != 0) || !length(out)) NA_character_ else out[length(out)]
}

# A conda environment file without Python's pyyaml (there may be no Python yet).
write_minimal_env <- function(file, name, python, pip) {
  quote <- function(x) paste0("'", gsub("'", "''", x, fixed = TRUE), "'")
  lines <- c(
    paste0("name: ", quote(basename(name))),
    "channels:",
    "- conda-forge",
    "dependencies:",
    paste0("- python=", python),
    "- pip",
    "- pip:",
    paste0("  - ", quote(pip))
  )
  writeLines(lines, file)
  invisible(file)
}

# The pyphotoq source this R package carries (inst/python, copied there by `make` before the
# package is built), or PHOTOQ_SOURCE when set.
bundled_source <- function() {
  wanted <- Sys.getenv("PHOTOQ_SOURCE")
  if (nzchar(wanted)) {
    return(wanted)
  }
  bundled <- system.file("python", package = "photoq")
  if (!nzchar(bundled) || !file.exists(file.path(bundled, "pyproject.toml"))) {
    photoq_stop("This photoq was installed without pyphotoq's source: pass `source` (a checkout ",
                "of the photoq repository or a wheel), or install photoq with `make install-r`",
                call = NULL)
  }
  bundled
}

# A local source folder copied to a temporary folder (pip writes build files into it); other
# sources (a wheel, a requirement) as they are.
copy_source <- function(source) {
  if (!dir.exists(source)) {
    return(source)
  }
  copy <- tempfile("pyphotoq-source-")
  dir.create(copy)
  files <- list.files(source, pattern = "^(pyproject\\.toml|README\\.md|LICENSE.*)$", full.names = TRUE)
  file.copy(c(files, file.path(source, "pyphotoq")), copy, recursive = TRUE)
  unlink(list.files(copy, pattern = "^__pycache__$", recursive = TRUE, include.dirs = TRUE,
                    full.names = TRUE), recursive = TRUE)
  copy
}
