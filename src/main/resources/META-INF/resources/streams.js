// The streams list (/streams) and the player (/streams/{name}): plain JavaScript over /api/streams.
const Streams = (() => {
  const text = (tag, value, cls) => {
    const el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  };
  const rate = s => s.fps ? s.fps.toFixed(2) + ' fps' : '';
  const size = s => s.width ? s.width + '×' + s.height : '';
  // A stream that cannot keep its frame rate says so while it plays.
  const behind = s => s.behind > 0 ? ' · ' + s.behind.toFixed(1) + ' s behind its frame rate' : '';

  async function refreshList() {
    const body = document.querySelector('#streams tbody');
    try {
      const streams = await (await fetch('/api/streams')).json();
      body.replaceChildren(...streams.map(s => {
        const row = document.createElement('tr');
        row.dataset.stream = s.name;
        const link = text('a', s.name);
        link.href = '/streams/' + encodeURIComponent(s.name);
        const name = document.createElement('td');
        name.append(link);
        const state = text('td', s.state + (s.error ? ': ' + s.error : '') + behind(s), 'state state-' + s.state);
        row.append(name, state, text('td', s.frames), text('td', rate(s)), text('td', size(s)),
          text('td', s.source, 'path'), text('td', new Date(s.startedAt).toLocaleString()));
        return row;
      }));
      document.getElementById('streams-empty').hidden = streams.length > 0;
    } catch (e) {
      // the next refresh tries again
    }
  }

  async function refreshInfo(name) {
    const response = await fetch('/api/streams/' + encodeURIComponent(name));
    if (!response.ok) return;
    const s = await response.json();
    const state = document.getElementById('state');
    state.textContent = s.state;
    state.className = 'badge' + (s.state === 'streaming' ? ' live' : '');
    const info = document.getElementById('info');
    info.textContent = [s.frames + ' frames', rate(s), size(s), s.error || ''].filter(Boolean).join(' · ') + behind(s);
    info.classList.toggle('lagging', s.behind > 0);
  }

  return {
    list() {
      refreshList();
      setInterval(refreshList, 2000);
    },
    player() {
      const name = document.body.dataset.stream;
      const img = document.getElementById('frame');
      for (const button of document.querySelectorAll('button[data-from]')) {
        button.addEventListener('click', () => {
          // A new src closes the old stream (its viewer commits its position) and opens the new one.
          const from = button.dataset.from;
          img.src = '/streams/' + encodeURIComponent(name) + '/mjpeg' + (from ? '?from=' + from : '')
            + (from ? '&' : '?') + 't=' + Date.now();
        });
      }
      refreshInfo(name).catch(() => {});
      setInterval(() => refreshInfo(name).catch(() => {}), 2000);
    }
  };
})();
