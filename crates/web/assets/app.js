// Replaces govuk-frontend's inline <script> (the Content-Security-Policy allows no inline
// script): marks the page as having JavaScript, then starts the components.
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// The upload form says that the upload is under way (the page works without this).
const form = document.querySelector('form[enctype="multipart/form-data"]')
const status = document.getElementById('upload-progress')
if (form && status) {
  form.addEventListener('submit', () => {
    status.textContent = 'Uploading and capturing the deposit. This can take a minute for a large export.'
  })
}
