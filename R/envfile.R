#' Write a conda environment file for pyphotoq
#'
#' Writes an `environment.yml` (with Python's 'pyyaml') that
#' `conda env create -f` and `reticulate::conda_create(environment = )` accept:
#' its name, channels, a Python version, pip, and pyphotoq with what it needs
#' from pip. [install_photoq()] with `method = "conda"` uses such a file.
#'
#' @param file The file to write.
#' @param name The environment's name.
#' @param python The Python version, e.g. `"3.11"`; `NULL` for the running
#'   Python's.
#' @param channels Conda channels.
#' @param package What pip installs for pyphotoq: a name, a path to a checkout,
#'   or a wheel.
#' @param extra_pip More pip requirements.
#' @return The path written.
#' @export
#' @examples
#' if (photoq_available()) {
#'   file <- write_conda_env(tempfile(fileext = ".yml"), python = "3.11")
#'   cat(readLines(file), sep = "\n")
#' }
write_conda_env <- function(file = "environment.yml", name = "photoq", python = NULL,
                            channels = "conda-forge", package = "pyphotoq",
                            extra_pip = character()) {
  path <- call_photoq(
    "write_conda_env",
    file = check_path(file, "file"),
    name = check_string(name, "name"),
    python = check_string(python, "python", null_ok = TRUE),
    channels = check_strings(channels, "channels"),
    package = local_package(check_string(package, "package")),
    extra_pip = check_strings(extra_pip, "extra_pip")
  )
  normalizePath(reticulate::py_str(path), winslash = "/")
}

# A package spec for pip: a path (to a checkout or a wheel) made absolute; a name
# or requirement (no slash) as given.
local_package <- function(package) {
  looks_like_path <- grepl("[/\\\\]", package) || grepl("^[.~]", package) || grepl("\\.whl$", package)
  if (looks_like_path && file.exists(path.expand(package))) {
    normalizePath(path.expand(package), winslash = "/")
  } else {
    package
  }
}
