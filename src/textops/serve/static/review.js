// The dashboard's review view: the served model's review queue (GET /v1/review, a review key
// or the admin key),
// one item at a time; keys 1-9 give the item that label, s skips it. Each label is sent at
// once as reviewed feedback (POST .../feedback with the reviewer's name), so closing the page
// loses nothing labelled. Uses the page's helpers: get, headers, ofModel, modelPath, refresh.
const review = {items: [], labels: [], at: 0, labelled: 0, skipped: 0, busy: false};
const reviewerBox = document.getElementById("reviewer");
reviewerBox.value = localStorage.getItem("textops-reviewer") || "";
reviewerBox.addEventListener("change", () => localStorage.setItem("textops-reviewer", reviewerBox.value));

function reviewStatus(text) { document.getElementById("review-status").textContent = text; }

function showItem() {
  const box = document.getElementById("review-item");
  const item = review.items[review.at];
  const view = document.getElementById("review");
  view.dataset.labelled = review.labelled; view.dataset.skipped = review.skipped;
  if (!item) {
    box.replaceChildren();
    reviewStatus(review.items.length ? `done: ${review.labelled} labelled, ${review.skipped} skipped`
                                     : "nothing to review: no unlabelled predictions with text (serve --log-text)");
    view.dataset.state = "done";
    if (review.labelled) refresh();  // the live accuracy now counts them
    return;
  }
  view.dataset.state = "item";
  const text = document.createElement("div"); text.className = "review-text"; text.textContent = item.text;
  const meta = document.createElement("div");
  meta.textContent = `predicted ${item.predicted} · ${item.reasons.join("; ")}`;
  const keys = document.createElement("div"); keys.className = "review-keys";
  review.labels.slice(0, 9).forEach((lab, i) => {
    const b = document.createElement("button"); b.textContent = `${i + 1} ${lab}`;
    b.addEventListener("click", () => answer(lab)); keys.appendChild(b);
  });
  const skip = document.createElement("button"); skip.textContent = "s skip";
  skip.addEventListener("click", () => answer(null)); keys.appendChild(skip);
  box.replaceChildren(text, meta, keys);
  reviewStatus(`${review.at + 1} of ${review.items.length} · ${review.labelled} labelled, ${review.skipped} skipped`);
}

async function answer(label) {
  const item = review.items[review.at];
  if (!item || review.busy) return;
  if (label === null) { review.skipped++; review.at++; return showItem(); }
  const reviewer = reviewerBox.value.trim();
  if (!reviewer) { reviewStatus("type your name in 'reviewer' first: every reviewed label names its reviewer"); return; }
  review.busy = true;
  try {
    const r = await fetch(modelPath("/feedback") || "/v1/feedback", {method: "POST", headers: headers(),
      body: JSON.stringify({prediction_id: item.prediction_id, label, reviewer})});
    if (!r.ok) { reviewStatus(`not stored: ${(await r.json()).error}`); return; }
    review.labelled++; review.at++; showItem();
  } finally { review.busy = false; }
}

document.getElementById("review-load").addEventListener("click", async () => {
  const strategy = document.getElementById("review-strategy").value;
  try {
    const q = await get(ofModel(`/v1/review?n=50&strategy=${strategy}`));
    Object.assign(review, {items: q.items, labels: q.labels, at: 0, labelled: 0, skipped: 0});
    if (q.reviewer) { reviewerBox.value = q.reviewer; reviewerBox.readOnly = true; }  // a review key names its reviewer
    document.getElementById("review-note").textContent =
      `${q.items.length} of ${q.ranked} unlabelled predictions (${q.strategy})` +
      (q.notes.length ? ` · ${q.notes.join("; ")}` : "");
    showItem();
  } catch (err) {
    reviewStatus(String(err.message || err).includes("403")
      ? "the review queue needs a review key (or the admin key) in the API key box" : String(err.message || err));
  }
});

document.addEventListener("keydown", (e) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (typing || e.ctrlKey || e.metaKey || e.altKey || !review.items[review.at]) return;
  if (e.key === "s") { e.preventDefault(); answer(null); return; }
  const k = Number(e.key);
  if (Number.isInteger(k) && k >= 1 && k <= Math.min(9, review.labels.length)) {
    e.preventDefault(); answer(review.labels[k - 1]);
  }
});
