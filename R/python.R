# Choosing and reaching Python, turning its errors into R errors, and converting
# arguments and results. Nothing crosses from Python as a numpy array or scalar:
# results come through pyphotoq.interop as plain lists, strings and numbers.

`%||%` <- function(x, y) if (is.null(x)) y else x

# The separator of the print methods, as in Python's repr where the locale can show it.
middle_dot <- function() if (isTRUE(l10n_info()[["UTF-8"]])) "\u00b7" else "-"

#' Is Python with pyphotoq available?
#'
#' Starts Python if needed (choosing it as described in [photoq-package]) and
#' checks that `pyphotoq` imports. Never fails: returns `FALSE` instead.
#'
#' @return `TRUE` or `FALSE`.
#' @seealso [photoq_config()] for the details, [install_photoq()] to set it up.
#' @export
#' @examples
#' photoq_available()
photoq_available <- function() {
  isTRUE(tryCatch({
    photoq_python()
    TRUE
  }, error = function(e) FALSE))
}

#' Which Python and pyphotoq photoq uses
#'
#' Reports the environment variables that choose Python, the Python in use and
#' the versions of pyphotoq and numpy, or why Python is not available.
#'
#' @return A list of class `photoq_config` with elements `available`, `python`,
#'   `python_version`, `pyphotoq`, `pyphotoq_path`, `numpy`, `reticulate`,
#'   `PHOTOQ_PYTHON`, `RETICULATE_PYTHON` and `problem` (the reason when not
#'   available, else `NULL`).
#' @export
#' @examples
#' photoq_config()
photoq_config <- function() {
  problem <- tryCatch({
    photoq_python()
    NULL
  }, error = function(e) conditionMessage(e))
  config <- list(
    available = is.null(problem),
    python = NA_character_,
    python_version = NA_character_,
    pyphotoq = NA_character_,
    pyphotoq_path = NA_character_,
    numpy = NA_character_,
    reticulate = as.character(utils::packageVersion("reticulate")),
    PHOTOQ_PYTHON = Sys.getenv("PHOTOQ_PYTHON"),
    RETICULATE_PYTHON = Sys.getenv("RETICULATE_PYTHON"),
    problem = problem
  )
  if (reticulate::py_available(initialize = FALSE)) {
    versions <- tryCatch(reticulate::py_to_r(keep_alive(reticulate::py_eval(
      paste0(
        "{'python': __import__('sys').executable, ",
        "'python_version': __import__('platform').python_version(), ",
        "'numpy': __import__('importlib.metadata', fromlist=['version']).version('numpy')}"
      ),
      convert = FALSE
    ))), error = function(e) list())
    config$python <- versions$python %||% NA_character_
    config$python_version <- versions$python_version %||% NA_character_
    config$numpy <- versions$numpy %||% NA_character_
  }
  if (config$available) {
    py <- photoq_python()
    config$pyphotoq <- reticulate::py_to_r(py$`__version__`)
    config$pyphotoq_path <- dirname(reticulate::py_to_r(py$`__file__`))
  }
  structure(config, class = "photoq_config")
}

#' @export
print.photoq_config <- function(x, ...) {
  show <- function(label, value) {
    cat(sprintf("%-18s %s\n", label, if (is.null(value) || is.na(value) || !nzchar(value)) "-" else value))
  }
  cat("photoq configuration\n")
  show("available:", if (x$available) "yes" else "no")
  show("python:", x$python)
  show("python version:", x$python_version)
  show("pyphotoq:", x$pyphotoq)
  show("pyphotoq path:", x$pyphotoq_path)
  show("numpy:", x$numpy)
  show("reticulate:", x$reticulate)
  show("PHOTOQ_PYTHON:", x$PHOTOQ_PYTHON)
  show("RETICULATE_PYTHON:", x$RETICULATE_PYTHON)
  if (!is.null(x$problem)) cat("\n", x$problem, "\n", sep = "")
  invisible(x)
}

# The pyphotoq module (convert = FALSE), starting Python on first use.
photoq_python <- function() {
  if (isTRUE(.photoq$ready)) {
    return(.photoq$py)
  }
  # (reticulate's probe would also see a Python that reticulate itself started)
  hosted <- !reticulate::py_available(initialize = FALSE) && python_hosts_r()
  if (hosted) {
    # see keep_alive(): no import hook calling R, no flushing from R's task callback
    options(reticulate.useImportHook = FALSE, reticulate.autoflush = FALSE)
  }
  chosen <- choose_python()
  if (!is.null(chosen)) {
    # While Python starts, RETICULATE_PYTHON names the chosen one too: reticulate
    # 1.28 otherwise looks for a Poetry project (pyproject.toml) before honouring
    # use_python(), and warns inside any Python project folder.
    previous <- Sys.getenv("RETICULATE_PYTHON", unset = NA)
    Sys.setenv(RETICULATE_PYTHON = chosen)
    on.exit(if (is.na(previous)) Sys.unsetenv("RETICULATE_PYTHON")
            else Sys.setenv(RETICULATE_PYTHON = previous), add = TRUE)
  }
  started <- tryCatch({
    reticulate::py_available(initialize = TRUE)
  }, error = function(e) e)
  if (inherits(started, "error") || !isTRUE(started)) {
    reason <- if (inherits(started, "error")) conditionMessage(started) else "no Python was found"
    stop_no_python(sprintf("Python could not be started (%s)", trim_message(reason)))
  }
  module <- tryCatch(
    reticulate::import("pyphotoq", convert = FALSE),
    error = function(e) e
  )
  if (inherits(module, "error")) {
    python <- tryCatch(reticulate::py_config()$python, error = function(e) "?")
    stop_no_python(sprintf(
      "the Python in use (%s) cannot import pyphotoq (%s)",
      python, trim_message(python_error_text(module))
    ))
  }
  .photoq$py <- module
  .photoq$interop <- reticulate::import("pyphotoq.interop", convert = FALSE)
  .photoq$errors <- reticulate::import("pyphotoq.core.errors", convert = FALSE)
  .photoq$builtins <- reticulate::import_builtins(convert = FALSE)
  .photoq$hosted <- hosted ||
    identical(reticulate::py_config()$forced, "the current process")
  .photoq$kept <- list()
  .photoq$ready <- TRUE
  if (.photoq$hosted) {
    # free, while holding the GIL, what reticulate's start left for the collector
    gc_holding_gil()
  }
  module
}

# Is this R embedded in a running Python (rpy2)? Asked before reticulate starts
# Python, through reticulate's own probe of the process (internal, hence guarded).
python_hosts_r <- function() {
  isTRUE(tryCatch(
    !is.null(utils::getFromNamespace("main_process_python_info", "reticulate")()),
    error = function(e) FALSE
  ))
}

# R's garbage collection run from a Python call back into R, so with the GIL held:
# the one place where Python objects that only R referenced can be freed safely
# when Python hosts R.
gc_holding_gil <- function() {
  collect <- keep_alive(reticulate::r_to_py(function() {
    gc(verbose = FALSE)
    NULL
  }, convert = TRUE))
  invisible(keep_alive(reticulate::py_call(collect)))
}

# When Python hosts R (rpy2), R runs with the GIL released, and reticulate 1.28
# finalizes a Python object on R's garbage collection without taking the GIL:
# freeing it there aborts the process. So, in that case only, the Python objects
# photoq receives stay referenced for the rest of the session; lists go to Python
# as JSON text (json_arg()), never built from R elements one by one; reticulate's
# import hook and output flushing (which leave such objects behind) are off; and
# what Python's start left is collected while holding the GIL (gc_holding_gil()).
keep_alive <- function(x) {
  if (isTRUE(.photoq$hosted)) {
    .photoq$kept[[length(.photoq$kept) + 1L]] <- x
  }
  x
}

# Point reticulate at PHOTOQ_PYTHON, or at the r-photoq virtualenv, before Python
# starts; returns that Python's path, or NULL to leave the choice to reticulate.
choose_python <- function() {
  if (reticulate::py_available(initialize = FALSE)) {
    return(NULL)
  }
  wanted <- Sys.getenv("PHOTOQ_PYTHON")
  if (nzchar(wanted)) {
    python <- path.expand(wanted)
    if (dir.exists(python)) {
      # an environment folder rather than its interpreter
      python <- file.path(python, "bin", "python")
    }
    if (!file.exists(python)) {
      stop_no_python(sprintf("PHOTOQ_PYTHON is set to %s, which does not exist", wanted))
    }
    reticulate::use_python(python, required = TRUE)
    return(python)
  }
  if (!nzchar(Sys.getenv("RETICULATE_PYTHON")) &&
      isTRUE(tryCatch(reticulate::virtualenv_exists("r-photoq"), error = function(e) FALSE))) {
    python <- reticulate::virtualenv_python("r-photoq")
    reticulate::use_python(python, required = TRUE)
    return(python)
  }
  NULL
}

stop_no_python <- function(reason) {
  stop(photoq_condition(
    paste0(
      "photoq needs Python with the pyphotoq package, but ", reason, ".\n",
      "Run photoq::install_photoq() and restart R, or set PHOTOQ_PYTHON ",
      "(or RETICULATE_PYTHON) to a Python that has pyphotoq, e.g.\n",
      "  Sys.setenv(PHOTOQ_PYTHON = \"/path/to/python\")\n",
      "before the first photoq call of the R session."
    ),
    call = NULL, class = "photoq_no_python"
  ))
}

# An R error condition of class photoq_error.
photoq_condition <- function(message, call = NULL, class = character()) {
  structure(
    class = c(class, "photoq_error", "error", "condition"),
    list(message = message, call = call)
  )
}

photoq_stop <- function(..., call = sys.call(-1)) {
  stop(photoq_condition(paste0(...), call = call))
}

trim_message <- function(text) {
  text <- sub("\\s*Detailed traceback:.*$", "", text)
  text <- sub("\\s*Run `reticulate::py_last_error\\(\\)` for details\\..*$", "", text)
  trimws(text)
}

python_error_text <- function(error) {
  parsed <- parse_python_error(error)
  if (is.null(parsed)) trim_message(conditionMessage(error)) else paste0(parsed$name, ": ", parsed$value)
}

# The type and message of a Python exception from the R error reticulate raised,
# read from the error itself: "module.Type: message" (reticulate 1.28), with any
# traceback or hint after it dropped. Calls no Python (see keep_alive()).
parse_python_error <- function(error) {
  text <- trim_message(conditionMessage(error))
  parts <- regmatches(text, regexec("(?s)^([A-Za-z_][A-Za-z0-9_.]*): (.*)$", text, perl = TRUE))[[1]]
  if (length(parts) != 3) {
    return(NULL)
  }
  list(type = parts[2], name = sub("^.*\\.", "", parts[2]), value = trimws(parts[3]))
}

# Is the Python exception type named `type` ("module.Class") a pyphotoq PhotoqError?
is_photoq_exception <- function(type, error) {
  if ("pyphotoq.core.errors.PhotoqError" %in% class(error)) {
    return(TRUE) # newer reticulate: the condition carries the Python classes
  }
  module <- sub("\\.[^.]*$", "", type)
  if (!grepl("^pyphotoq(\\.|$)", module) || identical(module, type)) {
    return(FALSE)
  }
  isTRUE(tryCatch({
    cls <- reticulate::import(module, convert = FALSE)[[sub("^.*\\.", "", type)]]
    reticulate::py_to_r(.photoq$builtins$issubclass(cls, .photoq$errors$PhotoqError))
  }, error = function(e) FALSE))
}

# Call pyphotoq.<fun>(...) and turn a Python exception into a clean R error: a
# PhotoqError keeps its message alone; other exceptions are prefixed with their
# type; no Python traceback either way. The call goes through
# pyphotoq.interop.call, which returns a plain description of an exception
# instead of raising it, so no Python exception object reaches R.
call_photoq <- function(fun, ..., call = sys.call(-1)) {
  args <- list(...) # checks the arguments first: a mistake there needs no Python
  photoq_python()
  json <- names(args)[vapply(args, inherits, logical(1), "photoq_json")]
  if (length(json)) {
    args[json] <- lapply(args[json], unclass)
    args$`_json` <- json # a str or a list in Python: interop.call takes both
  }
  result <- tryCatch(keep_alive(do.call(.photoq$interop$call, c(list(fun), args))),
                     error = function(e) rethrow_python(e, call))
  failure <- reticulate::py_to_r(keep_alive(.photoq$interop$failure_info(result)))
  if (!is.null(failure)) {
    if (isTRUE(failure$photoq)) {
      stop(photoq_condition(failure$message, call = call, class = "photoq_python_error"))
    }
    stop(photoq_condition(paste0(failure$name, ": ", failure$message), call = call,
                          class = "python_error"))
  }
  result
}

# Call pyphotoq.interop.<fun>(x) and convert its plain result to R.
from_python <- function(fun, x) {
  photoq_python()
  f <- .photoq$interop[[fun]]
  reticulate::py_to_r(keep_alive(f(x)))
}

rethrow_python <- function(error, call) {
  if (inherits(error, "photoq_error")) {
    stop(error)
  }
  parsed <- parse_python_error(error)
  if (is.null(parsed)) {
    # not a Python exception we can read: keep R's message, less any traceback
    stop(photoq_condition(trim_message(conditionMessage(error)), call = call))
  }
  if (is_photoq_exception(parsed$type, error)) {
    stop(photoq_condition(parsed$value, call = call, class = "photoq_python_error"))
  }
  stop(photoq_condition(paste0(parsed$name, ": ", parsed$value), call = call,
                        class = "python_error"))
}

# ---- argument checks and conversions -----------------------------------------
#
# What reticulate needs: one value of the right type (a whole number as an integer, a path as
# an absolute character string, NULL kept). The ranges of the settings Python and R share are
# Python's to check (pyphotoq.core.parameters), so R passes the value on and shows Python's one-line
# error; `min` is for R's own arguments (a row of a table, a checkpoint's number).

check_whole <- function(x, name, null_ok = FALSE, min = NULL, call = sys.call(-1)) {
  if (is.null(x)) {
    if (null_ok) return(NULL)
    photoq_stop("`", name, "` must be a whole number, not NULL", call = call)
  }
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || !is.finite(x) || x != round(x)) {
    photoq_stop("`", name, "` must be one whole number, got ", deparse_short(x), call = call)
  }
  if (!is.null(min) && x < min) {
    photoq_stop("`", name, "` must be at least ", min, ", got ", x, call = call)
  }
  if (abs(x) > .Machine$integer.max) {
    return(as.double(x)) # a whole double: Python checks its range (a seed goes up to 2^32 - 1)
  }
  as.integer(x)
}

check_number <- function(x, name, null_ok = FALSE, call = sys.call(-1)) {
  if (is.null(x)) {
    if (null_ok) return(NULL)
    photoq_stop("`", name, "` must be a number, not NULL", call = call)
  }
  if (!is.numeric(x) || length(x) != 1 || is.na(x)) {
    photoq_stop("`", name, "` must be one number, got ", deparse_short(x), call = call)
  }
  as.double(x)
}

check_flag <- function(x, name, null_ok = FALSE, call = sys.call(-1)) {
  if (is.null(x)) {
    if (null_ok) return(NULL)
    photoq_stop("`", name, "` must be TRUE or FALSE, not NULL", call = call)
  }
  if (!is.logical(x) || length(x) != 1 || is.na(x)) {
    photoq_stop("`", name, "` must be TRUE or FALSE, got ", deparse_short(x), call = call)
  }
  x
}

check_string <- function(x, name, null_ok = FALSE, call = sys.call(-1)) {
  if (is.null(x)) {
    if (null_ok) return(NULL)
    photoq_stop("`", name, "` must be a string, not NULL", call = call)
  }
  if (!is.character(x) || length(x) != 1 || is.na(x)) {
    photoq_stop("`", name, "` must be one string, got ", deparse_short(x), call = call)
  }
  x
}

check_strings <- function(x, name, call = sys.call(-1)) {
  if (is.null(x)) x <- character()
  if (!is.character(x) || anyNA(x)) {
    photoq_stop("`", name, "` must be a character vector, got ", deparse_short(x), call = call)
  }
  json_arg(unname(x)) # a Python list even when there is one element
}

# A path for Python: ~ expanded, made absolute (it need not exist yet).
check_path <- function(x, name, call = sys.call(-1)) {
  if (inherits(x, "photoq_cache") || inherits(x, "photoq_run")) {
    return(x$path)
  }
  x <- check_string(x, name, call = call)
  if (!nzchar(x)) photoq_stop("`", name, "` must not be empty", call = call)
  normalizePath(path.expand(x), winslash = "/", mustWork = FALSE)
}

# One path, or several (a character vector of photo files and folders): a list for Python.
check_paths <- function(x, name, call = sys.call(-1)) {
  if (is.character(x) && length(x) > 1) {
    if (anyNA(x) || !all(nzchar(x))) photoq_stop("`", name, "` must not hold NA or empty paths", call = call)
    return(as.list(normalizePath(path.expand(x), winslash = "/", mustWork = FALSE)))
  }
  check_path(x, name, call = call)
}

# The checkpoint argument: "best", "latest" or a batch number.
check_checkpoint <- function(x, call = sys.call(-1)) {
  if (is.character(x) && length(x) == 1 && x %in% c("best", "latest")) {
    return(x)
  }
  if (is.numeric(x)) {
    return(check_whole(x, "checkpoint", min = 1, call = call))
  }
  photoq_stop("`checkpoint` must be \"best\", \"latest\" or a batch number, got ",
              deparse_short(x), call = call)
}

# A list or dict argument for Python, sent as JSON text that interop.call decodes
# (a character vector is always a list, even of one element).
json_arg <- function(x) {
  structure(
    as.character(jsonlite::toJSON(x, auto_unbox = !is.null(names(x)), digits = NA, null = "null")),
    class = "photoq_json"
  )
}

deparse_short <- function(x) {
  text <- paste(deparse(x, width.cutoff = 60L), collapse = " ")
  if (nchar(text) > 60) paste0(substr(text, 1, 57), "...") else text
}

# ---- results from pyphotoq.interop -------------------------------------------

# A {"columns", "types", "data"} table from interop as a data.frame.
columns_to_df <- function(table) {
  columns <- as.character(unlist(table$columns))
  types <- as.character(unlist(table$types))
  out <- lapply(seq_along(columns), function(i) {
    column_vector(table$data[[columns[i]]], types[i])
  })
  names(out) <- columns
  rows <- if (length(out)) length(out[[1]]) else 0L
  structure(out, class = "data.frame", row.names = .set_row_names(rows))
}

column_vector <- function(values, type) {
  proto <- switch(type, int = NA_integer_, float = NA_real_, bool = NA, NA_character_)
  if (length(values) == 0) {
    return(proto[0])
  }
  if (is.list(values)) {
    values <- unlist(lapply(values, function(v) if (is.null(v)) NA else v), use.names = FALSE)
  }
  switch(type,
    int = if (all(is.na(values) | abs(values) <= .Machine$integer.max)) {
      as.integer(values)
    } else {
      as.double(values)
    },
    float = as.double(values),
    bool = as.logical(values),
    as.character(values)
  )
}

# NULL (Python None, e.g. a NaN metric) as NA.
num_or_na <- function(x) if (is.null(x)) NA_real_ else as.double(x)
