# The settings objects: labelling() and splitting() for build_cache(), recipe() for
# train_model(), as culling() is for score_photos(). Each is Python's class of the same name
# (pyphotoq.Labelling, Splitting, Recipe), which checks the values: R passes them through.

#' Where build_cache() takes its labels from
#'
#' The labelling settings that [build_cache()] takes as `labels`, in one object
#' (Python's `pyphotoq.Labelling`, which checks them: a wrong value is one line
#' naming the setting). `build_cache(labels = "xmp")` is short for
#' `build_cache(labels = labelling("xmp"))`.
#'
#' @param source Where the labels come from: `"folders"` (the default) for
#'   `good/` and `bad/` subfolders (or a CSV of `path,label`); `"xmp"` for the
#'   ratings in XMP sidecars (and, for a photo without one, the XMP embedded in
#'   it); or the path of a darktable `library.db`, a digiKam `digikam4.db` or a
#'   Lightroom Classic `.lrcat`, which is read strictly read-only. With ratings,
#'   `photos` is the folder of your rated photos.
#' @param positive,negative Names of the two classes (the subfolders, with
#'   `"folders"`).
#' @param good,bad With ratings: the rules of what counts as good and as bad,
#'   comma-separated conditions such as `"rating>=4, accepted"` and
#'   `"rejected, rating<=1"` (`rating` compared with `>=`, `<=`, `=`, `<`, `>`;
#'   `accepted`, `rejected`, `pending`). Photos neither rule labels are left
#'   out; the build summary says how many. One star is not bad by default:
#'   darktable gives every imported photo one star.
#' @return A `photoq_labelling`: the settings as a named list, checked.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   labelling("xmp", good = "rating>=3", bad = "rejected, rating<=1")
#'   labelling(positive = "keep", negative = "reject")
#' }
#' }
labelling <- function(source = "folders", positive = "good", negative = "bad",
                      good = "rating>=4, accepted", bad = "rejected") {
  checked <- call_photoq("Labelling", source = source, positive = positive, negative = negative,
                         good = good, bad = bad)
  settings_object(checked, "labelling")
}

#' How build_cache() splits the photos
#'
#' The split settings that [build_cache()] takes as `split`, in one object
#' (Python's `pyphotoq.Splitting`, which checks them: a wrong value is one line
#' naming the setting). `build_cache(split = "hash")` is short for
#' `build_cache(split = splitting("hash"))`. A cache keeps the split it was
#' first built with.
#'
#' @param method `"scene"` (the default: photos taken within `burst_seconds`
#'   of each other, in any folder, and photos that look alike stay in one
#'   split, so validation measures what test will: new scenes), `"burst"`
#'   (shots of one burst in one folder together) or `"hash"` (every photo on
#'   its own).
#' @param fractions Fractions of train, validation and test, summing to 1.
#' @param burst_seconds Seconds between two shots of one group (`NULL`: 30 for
#'   "scene", 3 for "burst").
#' @return A `photoq_splitting`: the settings as a named list, checked.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   splitting(fractions = c(0.6, 0.2, 0.2))
#'   splitting("burst", burst_seconds = 5)
#' }
#' }
splitting <- function(method = "scene", fractions = c(0.8, 0.1, 0.1), burst_seconds = NULL) {
  checked <- call_photoq("Splitting", method = method,
                         fractions = if (is.numeric(fractions)) as.list(as.double(fractions)) else fractions,
                         burst_seconds = burst_seconds)
  settings <- settings_object(checked, "splitting")
  settings$fractions <- unlist(settings$fractions)
  settings
}

#' What train_model() trains
#'
#' A recipe and the settings of it that it lets change, in one object that
#' [train_model()] takes as `recipe` (Python's `pyphotoq.Recipe`, which checks
#' them: a wrong value is one line naming the setting). `train_model(recipe =
#' "original")` is short for `train_model(recipe = recipe("original"))`. How
#' long a run trains and its seed stay arguments of [train_model()].
#'
#' @inheritParams photoq_parameters
#' @param name The recipe: `NULL` for the default ("two-view", or "two-branch"
#'   on a cache without the detail view), "two-branch" or "original" (see
#'   [train_model()]).
#' @param model_options A named list of options of the recipe's network (see
#'   [build_model()]).
#' @param booster Fit gradient-boosted trees (LightGBM) over each photo's image
#'   statistics, each also compared with the median of its scene (the photos
#'   taken within 30 s of each other or looking alike, among the photos scored
#'   together), and blend them with the best checkpoint at the network weight
#'   (0 to 1 in steps of 0.25) that validation prefers (`NULL`: the recipe's;
#'   the default recipes: `TRUE`, the original: `FALSE`). The trees are fitted
#'   before the network trains.
#' @return A `photoq_recipe`: the settings as a named list, checked.
#' @export
#' @examples
#' \donttest{
#' if (photoq_available()) {
#'   recipe(learning_rate = 5e-4)
#'   recipe("two-branch", booster = FALSE)
#' }
#' }
recipe <- function(name = NULL, learning_rate = NULL, model_options = NULL, booster = NULL) {
  checked <- call_photoq("Recipe", name = name, learning_rate = learning_rate,
                         model_options = check_model_options(model_options), booster = booster)
  settings_object(checked, "recipe")
}

# A Python settings object (Culling, Labelling, ...) as R's checked list of class photoq_<kind>.
settings_object <- function(checked, kind) {
  structure(from_python("settings_fields", checked), class = paste0("photoq_", kind))
}

#' @export
print.photoq_culling <- function(x, ...) print_settings(x, "culling")
#' @export
print.photoq_labelling <- function(x, ...) print_settings(x, "labelling")
#' @export
print.photoq_splitting <- function(x, ...) print_settings(x, "splitting")
#' @export
print.photoq_recipe <- function(x, ...) print_settings(x, "recipe")

print_settings <- function(x, kind) {
  given <- Filter(Negate(is.null), unclass(x))
  text <- vapply(given, function(value) {
    if (is.list(value)) deparse_short(value) else paste(format(value), collapse = ", ")
  }, "")
  cat(paste0("<photoq ", kind, ">"), paste0(names(given), " = ", text, collapse = "; "), "\n")
  invisible(x)
}

# NULL, a string (where `string_ok`: a source, a method, a recipe's name), or a settings object /
# named list of its settings as JSON for Python (which checks the values).
check_settings <- function(x, name, constructor, string_ok = FALSE, call = sys.call(-1)) {
  if (is.null(x)) {
    return(NULL)
  }
  if (string_ok && is.character(x) && length(x) == 1 && !is.na(x)) {
    return(x)
  }
  if (!is.list(x) || (length(x) && (is.null(names(x)) || any(names(x) == "")))) {
    photoq_stop("`", name, "` must be ", constructor, "(...)", if (string_ok) ", a string" else "",
                " or a named list of its settings, got ", deparse_short(x), call = call)
  }
  json_arg(unclass(x))
}
