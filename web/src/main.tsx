import { render } from 'preact';
import { App } from './App.js';
import { interceptLinks } from './lib/router.js';
import './styles/base.css';
import './styles/components.css';
import './styles/forms.css';
import './styles/space.css';

const root = document.getElementById('app');
if (root) {
  interceptLinks(document.body);
  render(<App />, root);
}
