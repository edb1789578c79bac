// Proves in a browser that the hashed script was served.
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("js-status").textContent = "JavaScript loaded.";
});
