// The kit's only script (served from the kit itself; the pages' CSP allows no inline code).
// - The portrait from the tablet's camera: getUserMedia on localhost, one frame drawn to a canvas,
//   encoded as JPEG and put into the form's file field, so the form posts it like a chosen file.
// - A preview of a chosen photo file, drawn to the same canvas.
// - Forms marked data-once disable their buttons on submit: a double tap makes one capture.
(function () {
  "use strict";

  function setupCamera() {
    var box = document.getElementById("camera");
    var input = document.getElementById("portrait");
    if (!box || !input) { return; }
    var video = document.getElementById("camera-video");
    var start = document.getElementById("camera-start");
    var snap = document.getElementById("camera-snap");
    var canvas = document.getElementById("portrait-preview");
    var status = document.getElementById("camera-status");
    var stream = null;
    var say = function (text) { if (status) { status.textContent = text; } };
    var stop = function () {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
      video.hidden = true; snap.hidden = true;
    };

    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.DataTransfer) {
      box.hidden = false;
      start.addEventListener("click", function () {
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 1280 } }, audio: false })
          .then(function (media) {
            stream = media; video.srcObject = media; video.hidden = false; snap.hidden = false;
            return video.play();
          })
          .catch(function () { say(box.dataset.failed); stop(); });
      });
      snap.addEventListener("click", function () {
        if (!video.videoWidth) { return; }
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        canvas.getContext("2d").drawImage(video, 0, 0);
        canvas.hidden = false;
        canvas.toBlob(function (blob) {
          if (!blob) { say(box.dataset.failed); return; }
          var files = new DataTransfer();
          files.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
          input.files = files.files;
          say(box.dataset.taken);
          stop();
        }, "image/jpeg", 0.9);
      });
    }

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !window.createImageBitmap || file.name === "camera.jpg") { return; }
      createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, 640 / bitmap.width);
        canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.hidden = false;
        say(box.dataset.chosen);
      }).catch(function () { canvas.hidden = true; });
    });
  }

  function submitOnce() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        window.setTimeout(function () {
          form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
        }, 0);
      });
    });
  }

  setupCamera();
  submitOnce();
}());
