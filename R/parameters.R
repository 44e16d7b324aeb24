# The help of the arguments that R, Python and the command line share, written from the
# declarations in pyphotoq/core/parameters.py by `python -m pyphotoq.r_help --write R/parameters.R`.
# Change the declarations, not this file: a test fails when it differs from them.

#' Settings shared by R, Python and the command line
#'
#' The arguments that several photoq functions share, with their ranges and defaults. Python checks
#' every value and a wrong one is one line naming the setting.
#'
#' @param width Cached width in pixels. A whole number in `[64, 16384]`; default `480`.
#' @param quality JPEG quality of the cached images. A whole number in `[1, 100]`; default `95`.
#' @param workers Threads that open photos. A whole number at least 1; `NULL` (the default): one per
#'   CPU.
#' @param wait Seconds to wait for another build holding the cache. A number at least 0; default
#'   `0`.
#' @param batches Batches in the whole run. A whole number in `[1, 10000000]`; `NULL` (the default):
#'   the recipe's.
#' @param batch_size Photos per batch. A whole number in `[1, 256]`; `NULL` (the default): the
#'   recipe's.
#' @param validate_every Batches between validation and checkpoint. A whole number in
#'   `[1, 10000000]`; `NULL` (the default): the recipe's.
#' @param learning_rate Peak learning rate (the original recipe fixes it). A number above 0; `NULL`
#'   (the default): the recipe's.
#' @param seed Seed of the random choices (photos drawn for the batches, weights, dropout). A whole
#'   number in `[0, 4294967295]`; default `0`.
#' @param keep_precision The keep line: validation photos at or above it are this share good. A
#'   number in `(0, 1]`; default `0.9`.
#' @param reject_recall The reject line: it keeps this share of the good validation photos above it.
#'   A number in `(0, 1]`; default `0.95`.
#' @param threshold One cut (keep or reject) at this score instead of the keep and reject lines. A
#'   number in `[0, 1]`; `NULL` (the default): the keep and reject lines.
#' @param keep_recall One cut keeping this share of the good validation photos instead of the keep
#'   and reject lines. A number in `(0, 1]`; `NULL` (the default): the keep and reject lines.
#' @param best Keep this many best photos instead of the keep line. A whole number at least 0;
#'   `NULL` (the default): the keep line.
#' @param best_share Keep this share of the best photos instead of the keep line. A number in
#'   `[0, 1]`; `NULL` (the default): the keep line.
#' @param burst_seconds Shots this close in time that look alike form a burst (its best shot is
#'   marked). A number at least 0; default `2`.
#' @param weaker_in_burst What happens to a burst's weaker shots that would be kept. One of
#'   `"review"`, `"reject"`, `"keep"`; default `"review"`.
#' @param n How many photos to propose. A whole number at least 1; default `20`.
#' @param port Port on 127.0.0.1 (0: a free one). A whole number in `[0, 65535]`; default `0`.
#' @name photoq_parameters
#' @keywords internal
NULL

#' Settings of evaluate_model() and report()
#'
#' How evaluate_model() and report() choose the threshold of their metrics and decisions.
#'
#' @param threshold A score threshold: the metrics' threshold and one cut (keep or reject) for the
#'   decisions. A number in `[0, 1]`; `NULL` (the default): the threshold maximising F1 on
#'   validation for the metrics, the keep and reject lines for the decisions.
#' @param keep_recall The threshold keeping this share of the good validation photos, for the
#'   metrics and as one cut for the decisions. A number in `(0, 1]`; `NULL` (the default): the
#'   threshold maximising F1 on validation for the metrics, the keep and reject lines for the
#'   decisions.
#' @name photoq_evaluation_parameters
#' @keywords internal
NULL
