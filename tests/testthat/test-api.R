test_that("every R function has the same arguments and defaults as its Python twin", {
  skip_if_no_photoq()
  signatures <- reticulate::py_run_string(paste(
    "import inspect, pyphotoq",
    "from pyphotoq.interop import to_plain",
    "def signature(name):",
    "    params = inspect.signature(getattr(pyphotoq, name)).parameters.values()",
    "    # Python's **options is R's ...",
    "    return [['...' if p.kind is p.VAR_KEYWORD else p.name,",
    "             p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD,",
    "             to_plain(None if p.default is inspect.Parameter.empty else p.default)] for p in params]",
    sep = "\n"
  ), convert = FALSE)
  shared <- c("build_cache", "open_cache", "make_demo_photos", "build_model", "train_model",
              "open_run", "evaluate_model", "evaluate_checkpoints", "score_photos", "plot_roc",
              "plot_history", "contact_sheet", "write_conda_env", "roc_plot_data",
              "history_plot_data", "contact_sheet_data", "bias_report", "plot_bias",
              "explain_photos", "report", "sweep_runs", "ask_photos", "undo_sidecars",
              "learn_corrections", "review", "culling")
  for (name in shared) {
    # a settings object is a class in Python (pyphotoq.Culling), a function in R (culling())
    python <- reticulate::py_to_r(signatures$signature(if (name == "culling") "Culling" else name))
    r_formals <- formals(getExportedValue("photoq", name))
    expect_identical(names(r_formals), vapply(python, `[[`, "", 1), label = paste(name, "arguments"))
    for (p in python) {
      if (!p[[1]] %in% names(r_formals)) next
      if (p[[1]] == "...") next
      no_default <- identical(deparse(r_formals[[p[[1]]]]), "")
      expect_identical(no_default, isTRUE(p[[2]]), label = paste0(name, "(", p[[1]], ") without default"))
      if (no_default || isTRUE(p[[2]])) next
      value <- eval(r_formals[[p[[1]]]], envir = baseenv())
      expected <- p[[3]]
      if (is.list(expected) && length(expected) == 0) {
        expect_length(value, 0) # an empty tuple: an empty vector
      } else if (is.null(expected)) {
        expect_null(value, label = paste0(name, "(", p[[1]], ")"))
      } else {
        expected <- unlist(expected)
        expect_equal(value, expected, ignore_attr = TRUE, label = paste0(name, "(", p[[1]], ")"))
      }
    }
  }
})
