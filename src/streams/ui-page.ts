/**
 * The browser page at /v2/ui: pick streams, optionally a filter, and watch events arrive. Its
 * script is served from /v2/ui/app.js so the page works under a strict Content-Security-Policy
 * (no inline script), and it writes events with textContent only.
 */
export const uiHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sluice streams</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; }
form { display: flex; gap: .75rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; font-size: .9rem; gap: .2rem; }
select { min-width: 18rem; }
#events { font-family: ui-monospace, monospace; font-size: .8rem; list-style: none; padding: 0; }
#events li { border-bottom: 1px solid #ddd; padding: .3rem 0; white-space: pre-wrap; word-break: break-all; }
#status { color: #555; }
</style>
</head>
<body>
<h1>Sluice streams</h1>
<form id="controls">
  <label>Streams <select id="streams" multiple size="6"></select></label>
  <label>Filter <input id="filter" placeholder="meta.domain=en.wikipedia.org" size="36"></label>
  <label><span><input type="checkbox" id="canary"> exclude canary events</span></label>
  <button id="start" type="submit">Start</button>
  <button id="stop" type="button" disabled>Stop</button>
</form>
<p id="status">Pick one or more streams.</p>
<ol id="events"></ol>
<script src="/v2/ui/app.js"></script>
</body>
</html>
`

export const uiScript = `'use strict'
;(function () {
  var maxShown = 200
  var select = document.getElementById('streams')
  var filterInput = document.getElementById('filter')
  var canary = document.getElementById('canary')
  var status = document.getElementById('status')
  var list = document.getElementById('events')
  var startButton = document.getElementById('start')
  var stopButton = document.getElementById('stop')
  var source = null
  var received = 0

  function say (text) { status.textContent = text }

  function streamUrl () {
    var names = Array.prototype.filter.call(select.options, function (o) { return o.selected }).map(function (o) { return o.value })
    if (names.length === 0) return null
    var params = new URLSearchParams()
    filterInput.value.split('&').forEach(function (part) {
      var eq = part.indexOf('=')
      if (eq > 0) params.append('filter[' + part.slice(0, eq).trim() + ']', part.slice(eq + 1).trim())
    })
    if (canary.checked) params.set('canary', 'exclude')
    var query = params.toString()
    return '/v2/stream/' + names.map(encodeURIComponent).join(',') + (query === '' ? '' : '?' + query)
  }

  function show (data) {
    var item = document.createElement('li')
    item.className = 'event'
    item.textContent = data
    list.insertBefore(item, list.firstChild)
    while (list.children.length > maxShown) list.removeChild(list.lastChild)
  }

  function stop () {
    if (source !== null) source.close()
    source = null
    stopButton.disabled = true
    startButton.disabled = false
  }

  function start (event) {
    event.preventDefault()
    var url = streamUrl()
    if (url === null) { say('Pick one or more streams.'); return }
    stop()
    received = 0
    list.textContent = ''
    source = new EventSource(url)
    startButton.disabled = true
    stopButton.disabled = false
    say('Connecting to ' + url)
    source.onopen = function () { say('Connected to ' + url + '; waiting for events.') }
    source.addEventListener('message', function (e) {
      received++
      say('Connected to ' + url + '; ' + received + ' events.')
      show(e.data)
    })
    source.addEventListener('error', function (e) {
      if (e.data) say('Error: ' + e.data)
      else if (source !== null && source.readyState === EventSource.CONNECTING) say('Reconnecting to ' + url + ' (resuming from the last event)...')
      else if (source !== null && source.readyState === EventSource.CLOSED) {
        // Not an event stream (a 4xx/5xx answer): the browser gives up, and so does the page.
        stop()
        say('The service refused ' + url + ' (check the streams and the filter).')
      }
    })
  }

  document.getElementById('controls').addEventListener('submit', start)
  stopButton.addEventListener('click', stop)

  fetch('/?spec').then(function (r) { return r.json() }).then(function (spec) {
    var names = spec.paths['/v2/stream/{streams}'].get.parameters[0].schema.items.enum
    names.forEach(function (name) {
      var option = document.createElement('option')
      option.value = name
      option.textContent = name
      select.appendChild(option)
    })
    var wanted = new URLSearchParams(location.search)
    if (wanted.get('streams') !== null) {
      wanted.get('streams').split(',').forEach(function (name) {
        Array.prototype.forEach.call(select.options, function (o) { if (o.value === name) o.selected = true })
      })
      if (wanted.get('filter') !== null) filterInput.value = wanted.get('filter')
      if (wanted.get('canary') === 'exclude') canary.checked = true
      if (wanted.get('start') === '1') start(new Event('submit'))
    } else {
      say(names.length + ' streams. Pick one or more.')
    }
  }).catch(function (err) { say('Cannot list the streams: ' + err) })
})()
`
