# R's functions and their Python twins (pyphotoq's public names): the same arguments, the same
# defaults, and for the settings declared in pyphotoq/core/parameters.py the same allowed values.

# What Python says of its public functions: each argument's name, whether it has a default and the
# default as plain values; and the values a declared setting allows and refuses.
python_api <- function() {
  reticulate::py_run_string(paste(
    "import inspect, pyphotoq",
    "from pyphotoq.interop import to_plain",
    "from pyphotoq.core.parameters import EVALUATION, SETTINGS",
    "def signature(name):",
    "    params = inspect.signature(getattr(pyphotoq, name)).parameters.values()",
    "    # Python's **options is R's ...",
    "    return [['...' if p.kind is p.VAR_KEYWORD else p.name,",
    "             p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD,",
    "             to_plain(None if p.default is inspect.Parameter.empty else p.default)] for p in params]",
    "def declared(function, name):",
    "    '''None, or what the declaration of setting `name` allows (ok) and refuses (bad).'''",
    "    setting = (EVALUATION if function in ('evaluate_model', 'report') and name in EVALUATION",
    "               else SETTINGS).get(name)",
    "    if setting is None:",
    "        return None",
    "    if setting.kind == 'choice':",
    "        ok, bad = list(setting.choices), ['never']",
    "    else:",
    "        ok = [setting.low + 1e-6 if setting.low_open else setting.low]",
    "        ok += [setting.high] if setting.high is not None else [setting.low + 1000]",
    "        bad = [setting.low if setting.low_open else setting.low - 1]",
    "        bad += [setting.high + 1] if setting.high is not None else []",
    "    if setting.default is not None:",
    "        ok.append(setting.default)",
    "    return {'ok': ok, 'bad': bad, 'none': setting.none is not None, 'choices': list(setting.choices)}",
    sep = "\n"
  ), convert = FALSE)
}

# The exported R functions with a Python twin of the same name; a settings object's constructor is
# its class (culling() is pyphotoq.Culling, labelling() Labelling, splitting() Splitting, recipe() Recipe).
SETTINGS_OBJECTS <- c(culling = "Culling", labelling = "Labelling", splitting = "Splitting", recipe = "Recipe")
python_name <- function(name) if (name %in% names(SETTINGS_OBJECTS)) SETTINGS_OBJECTS[[name]] else name
r_twins <- function() {
  python <- unlist(reticulate::import("pyphotoq", convert = TRUE)$`__all__`)
  Filter(function(name) python_name(name) %in% python && is.function(getExportedValue("photoq", name)),
         sort(getNamespaceExports("photoq")))
}

# Arguments whose R default legitimately differs from Python's, with why (none today).
R_OWN_DEFAULTS <- character()

# Arguments named like a declared setting that are another setting (pyphotoq's own test of the
# declarations lists them too), with why.
OTHER_SETTINGS <- c(
  "splitting(burst_seconds)" = "the split's gap between the shots of one scene, by split method",
  "score_photos(batch_size)" = "photos scored at once, not a training batch",
  "make_demo_photos(seed)" = "the demo photos' seed",
  "build_model(seed)" = "the weights' seed, NULL for none"
)

# Does R's default (evaluated) stand for Python's (converted to plain values)? NULL ~ None,
# TRUE ~ True, numbers, strings, c(...) ~ a list or tuple, a zero-length vector ~ ().
same_default <- function(r, python) {
  if (is.list(python) && length(python) == 0) {
    return(length(r) == 0)
  }
  if (is.null(python) || is.null(r)) {
    return(is.null(python) && is.null(r))
  }
  isTRUE(all.equal(r, unlist(python), check.attributes = FALSE))
}

test_that("every R function that calls Python is the twin of a public Python function", {
  skip_if_no_photoq()
  ns <- asNamespace("photoq")
  functions <- Filter(function(n) is.function(get(n, envir = ns)), ls(ns, all.names = TRUE))
  # through the interop layer, directly or through other functions of the package
  calls_python <- function(name, seen = character()) {
    called <- intersect(all.names(body(get(name, envir = ns))), functions)
    if (any(c("call_photoq", "from_python") %in% called)) return(TRUE)
    any(vapply(setdiff(called, c(seen, name)), calls_python, logical(1), seen = c(seen, name)))
  }
  exported <- Filter(function(n) n %in% functions, getNamespaceExports("photoq"))
  callers <- Filter(calls_python, exported)
  expect_gte(length(callers), 20)
  expect_identical(setdiff(callers, r_twins()), character(), label = "R functions calling Python without a twin")
})

test_that("every R function has the same arguments and defaults as its Python twin", {
  skip_if_no_photoq()
  api <- python_api()
  twins <- r_twins()
  expect_true(all(c("score_photos", "culling", "labelling", "splitting", "recipe", "evaluate_model",
                    "explain_photos", "report") %in% twins))
  differing <- character()
  for (name in twins) {
    python <- reticulate::py_to_r(api$signature(python_name(name)))
    r_formals <- formals(getExportedValue("photoq", name))
    expect_identical(names(r_formals), vapply(python, `[[`, "", 1), label = paste(name, "arguments"))
    for (p in python) {
      argument <- p[[1]]
      if (!argument %in% names(r_formals) || argument == "...") next
      label <- paste0(name, "(", argument, ")")
      no_default <- identical(deparse(r_formals[[argument]]), "")
      expect_identical(no_default, isTRUE(p[[2]]), label = paste(label, "without default"))
      if (no_default || isTRUE(p[[2]])) next
      value <- tryCatch(eval(r_formals[[argument]], envir = baseenv()), error = function(e) {
        stop(label, ": R's default is no plain value (", deparse(r_formals[[argument]]), ")")
      })
      if (label %in% names(R_OWN_DEFAULTS)) {
        differing <- c(differing, label)
        expect_false(same_default(value, p[[3]]), label = paste(label, "listed as differing"))
      } else {
        expect_true(same_default(value, p[[3]]),
                    label = paste0(label, ": R's default ", deparse(value), " is Python's ", deparse(p[[3]])))
      }
    }
  }
  expect_setequal(differing, as.character(names(R_OWN_DEFAULTS))) # every listed exception still exists
})

test_that("R takes every value a shared setting allows and leaves its refusals to Python", {
  skip_if_no_photoq()
  api <- python_api()
  folder <- tempfile("photoq-api-")
  dir.create(folder)
  on.exit(unlink(folder, recursive = TRUE), add = TRUE)
  checked <- 0
  refused_by_python <- 0
  for (name in r_twins()) {
    f <- getExportedValue("photoq", name)
    r_formals <- formals(f)
    settings <- Filter(function(a) !paste0(name, "(", a, ")") %in% names(OTHER_SETTINGS), names(r_formals))
    declared <- Filter(Negate(is.null), lapply(setNames(nm = settings), function(a) {
      reticulate::py_to_r(api$declared(name, a))
    }))
    if (!length(declared)) next
    # the arguments without default: paths where nothing is (Python then stops at the first of them)
    needed <- setdiff(names(r_formals)[vapply(r_formals, function(x) identical(deparse(x), ""), TRUE)], "...")
    nowhere <- setNames(lapply(needed, function(a) file.path(folder, "nowhere", a)), needed)
    call_with <- function(argument, value) {
      tryCatch({
        suppressMessages(suppressWarnings(do.call(f, c(nowhere, setNames(list(value), argument)))))
        ""
      }, error = function(e) conditionMessage(e))
    }
    for (argument in names(declared)) {
      setting <- declared[[argument]]
      label <- paste0(name, "(", argument, ")")
      # a default of several values (R's match.arg) lists the declared choices
      default <- eval(r_formals[[argument]], envir = baseenv())
      if (length(default) > 1) {
        expect_identical(default, unlist(setting$choices), label = paste(label, "choices"))
      }
      allowed <- c(setting$ok, if (isTRUE(setting$none)) list(NULL))
      for (value in allowed) {
        message <- call_with(argument, value)
        # whatever stopped the call (the missing run or photos), it was not this setting
        expect_false(grepl(paste0("^`?", argument, "`? must"), message),
                     label = paste0(label, " = ", deparse(value), " refused: ", message))
        checked <- checked + 1
      }
      for (value in setting$bad) {
        message <- call_with(argument, value)
        expect_true(nzchar(message), label = paste0(label, " = ", deparse(value), " stops"))
        # never R's own check; where Python checks first, its one line from the declaration
        expect_false(startsWith(message, paste0("`", argument, "`")), label = paste(label, "refused by R:", message))
        if (startsWith(message, paste(argument, "must be"))) {
          expect_false(grepl("\n", message), label = paste(label, "refused in one line"))
          refused_by_python <- refused_by_python + 1
        }
      }
    }
  }
  expect_gte(checked, 40)
  expect_gte(refused_by_python, 15)
})
