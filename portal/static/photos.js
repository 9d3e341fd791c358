/* The filing form on a slow link. Photos are scaled down in the browser (longest side 1600 px,
   JPEG at 80 %) and sent one by one as soon as they are chosen, with their progress shown, so
   that tapping "send" sends only the text; required fields are checked before anything is
   sent. Without this script the form works as a plain form, and the server does the same. */
(function () {
  "use strict";
  var LONG_SIDE = 1600;
  var QUALITY = 0.8;

  var form = document.querySelector("form[data-photo-url]");
  if (!form) return;
  var summary = document.getElementById("error-summary");
  var words = document.getElementById("photo-messages").dataset;
  var input = form.querySelector("input[type=file]");
  var chosen = document.getElementById("chosen-photos");
  var progress = document.getElementById("photo-progress");
  var bar = progress.querySelector("progress");
  var barText = progress.querySelector(".photo-progress-text");
  var status = document.getElementById("photo-status");
  var sending = document.getElementById("sending");
  var token = form.querySelector("input[name=csrf_token]");
  var csrf = token ? token.value : "";
  var maxPhotos = parseInt(form.dataset.maxPhotos, 10);
  var title = document.title;
  var busy = 0;
  var queue = Promise.resolve();
  var sendWhenDone = false;
  var submitted = false;
  // A stalled upload is given up after this long, so that the form is never stuck waiting.
  var UPLOAD_TIMEOUT_MS = 180000;

  function say(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? values[name] : whole;
    });
  }

  if (summary && !summary.hidden) summary.focus();

  // -- errors, drawn where the server draws them -----------------------------------------------

  function labelOf(element) {
    var label = form.querySelector("label[for='" + element.id + "']");
    return label && label.firstChild ? label.firstChild.textContent.trim() : element.name;
  }

  function setError(element, message) {
    var box = element.closest(".field");
    var error = document.getElementById(element.id + "-error");
    if (!box || !error) return;
    error.textContent = message;
    error.hidden = !message;
    box.classList.toggle("has-error", !!message);
    var described = (element.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== error.id;
    });
    if (message) {
      element.setAttribute("aria-invalid", "true");
      described.push(error.id);
    } else {
      element.removeAttribute("aria-invalid");
    }
    if (described.length) element.setAttribute("aria-describedby", described.join(" "));
    else element.removeAttribute("aria-describedby");
  }

  function showSummary(problems) {
    var list = summary.querySelector("ul");
    list.textContent = "";
    problems.forEach(function (element) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + element.id;
      link.textContent = say(words.problem, {
        field: labelOf(element),
        problem: element.dataset.required,
      });
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.hidden = false;
    document.title = words.errorTitle + " " + title.replace(words.errorTitle + " ", "");
    summary.focus();
  }

  function empty(element) {
    if (element.type === "checkbox") return !element.checked;
    var value = element.value.trim();
    return !value || (element.tagName === "SELECT" && value === "0");
  }

  function missing() {
    var problems = [];
    form.querySelectorAll("[data-required]").forEach(function (element) {
      var wrong = empty(element);
      setError(element, wrong ? element.dataset.required : "");
      if (wrong) problems.push(element);
    });
    return problems;
  }

  // -- photos ----------------------------------------------------------------------------------

  function showProgress(percent, text) {
    progress.hidden = false;
    bar.value = percent;
    barText.textContent = text;
  }

  // What a screen reader announces: a photo started, is ready, or failed.
  function announce(text) {
    status.textContent = text;
  }

  function scale(file) {
    return createImageBitmap(file, { imageOrientation: "from-image" })
      .then(function (bitmap) {
        var ratio = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * ratio);
        canvas.height = Math.round(bitmap.height * ratio);
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff"; // a transparent PNG turns white, as on the server
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        if (bitmap.close) bitmap.close();
        return new Promise(function (resolve) {
          canvas.toBlob(resolve, "image/jpeg", QUALITY);
        });
      })
      .then(function (blob) {
        return blob && blob.size < file.size ? blob : file;
      })
      .catch(function () {
        return file; // not decodable here: sent as it is, and the server says what is wrong
      });
  }

  function upload(blob, fileName, number) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      data.append("csrf_token", csrf);
      data.append("photo", blob, fileName);
      var request = new XMLHttpRequest();
      request.open("POST", form.dataset.photoUrl);
      request.setRequestHeader("X-CSRFToken", csrf);
      request.responseType = "json";
      request.timeout = UPLOAD_TIMEOUT_MS;
      request.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.round((event.loaded / event.total) * 100);
        showProgress(percent, say(words.sending, { n: number, percent: percent + "%" }));
      });
      request.addEventListener("load", function () {
        var answer = request.response || {};
        if (request.status === 201 && answer.token) resolve(answer);
        else reject(answer.error || say(words.failed, { n: number }));
      });
      function failed() {
        reject(say(words.failed, { n: number }));
      }
      request.addEventListener("error", failed);
      request.addEventListener("timeout", failed);
      request.send(data);
    });
  }

  function addChosen(answer) {
    var number = chosen.children.length + 1;
    var item = document.createElement("li");
    var image = document.createElement("img");
    image.src = answer.thumb;
    image.alt = say(words.alt, { n: number });
    image.width = image.height = 120;
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "pending_photo";
    token.value = answer.token;
    var remove = document.createElement("button");
    remove.type = "submit";
    remove.name = "remove_photo";
    remove.value = answer.token;
    remove.className = "button small secondary";
    remove.formNoValidate = true;
    remove.dataset.remove = answer.remove;
    remove.textContent = say(words.remove, { n: number });
    item.append(image, token, remove);
    chosen.appendChild(item);
  }

  function finished() {
    busy -= 1;
    if (busy > 0 || !sendWhenDone) return;
    sendWhenDone = false;
    sending.hidden = true;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function take(file) {
    busy += 1;
    var number;
    queue = queue
      .then(function () {
        number = chosen.children.length + 1; // the place it will take among the chosen
        showProgress(0, say(words.scaling, { n: number }));
        announce(say(words.scaling, { n: number }));
        return scale(file);
      })
      .then(function (blob) {
        return upload(blob, blob === file ? file.name : "photo-" + number + ".jpg", number);
      })
      .then(
        function (answer) {
          addChosen(answer);
          showProgress(100, say(words.sent, { n: number }));
          announce(say(words.sent, { n: number }));
        },
        function (message) {
          // Never send the form without a photo the resident chose: they decide what next.
          sendWhenDone = false;
          sending.hidden = true;
          progress.hidden = true;
          setError(input, String(message));
          announce(String(message));
        }
      )
      .then(finished);
  }

  var canSendAhead =
    input && window.createImageBitmap && window.FormData && HTMLCanvasElement.prototype.toBlob;
  if (canSendAhead) {
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = ""; // sent ahead: not again with the form
      var room = maxPhotos - chosen.children.length - busy;
      if (files.length > room) {
        setError(input, words.tooMany);
        files = files.slice(0, Math.max(room, 0));
      }
      files.forEach(take);
    });
  }

  // "Remove" takes a photo out here; without the script it asks the server to.
  chosen.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=remove_photo]");
    if (!button) return;
    event.preventDefault();
    // Taken back on the server too, at once: a photo chosen by mistake is not kept for hours.
    var request = new XMLHttpRequest();
    request.open("POST", button.dataset.remove);
    request.setRequestHeader("X-CSRFToken", csrf);
    request.send();
    button.closest("li").remove();
    chosen.querySelectorAll("li").forEach(function (item, index) {
      var values = { n: index + 1 };
      item.querySelector("img").alt = say(words.alt, values);
      item.querySelector("button").textContent = say(words.remove, values);
    });
  });

  // "Is it this one?": once building and kind are chosen, the open cases of the same problem
  // are fetched and shown under them, each with its "me too" (without this script the server
  // shows them as a step before filing). What was shown is sent back with the report, which is
  // then filed as its own case.
  var same = document.getElementById("same-problem");
  var seen = form.querySelector("input[name=seen_same]");
  var building = form.querySelector("select[name=building]");
  var kind = form.querySelector("select[name=category]");
  function lookForTheSame() {
    if (!same || !building || !kind || !building.value || building.value === "0" || !kind.value) {
      return;
    }
    var url = form.dataset.sameUrl + "?building=" + encodeURIComponent(building.value) +
      "&category=" + encodeURIComponent(kind.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#same-problem");
        if (!fresh) return;
        same.parentNode.replaceChild(fresh, same);
        same = fresh;
        if (seen) seen.value = fresh.dataset.shown || "";
      })
      .catch(function () {}); // no hint on a failed look-up: the server shows it before filing
  }
  if (building && kind) {
    building.addEventListener("change", lookForTheSame);
    kind.addEventListener("change", lookForTheSame);
  }

  form.addEventListener("submit", function (event) {
    // "Me too" goes to the case's own address: nothing of the report needs checking for it.
    if (event.submitter && event.submitter.hasAttribute("formaction")) return;
    if (submitted) {
      event.preventDefault(); // a second tap on a slow link would file the case twice
      return;
    }
    var problems = missing();
    if (problems.length) {
      event.preventDefault();
      showSummary(problems);
      return;
    }
    sending.hidden = false;
    if (busy > 0) {
      event.preventDefault();
      sendWhenDone = true;
      sending.textContent = words.waiting;
      return;
    }
    submitted = true;
    sending.textContent = words.submitting;
  });

  // Back to this page from the receipt (the browser's page cache): it may be sent again.
  window.addEventListener("pageshow", function () {
    submitted = false;
    sending.hidden = true;
  });
})();
