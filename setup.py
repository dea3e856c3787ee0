"""Installs gazeqwen from the metadata in settings.ini (nbdev 2 layout)."""
from configparser import ConfigParser
import setuptools, shlex

cfg_parser = ConfigParser(delimiters=['='])
cfg_parser.read('settings.ini')
cfg = cfg_parser['DEFAULT']

licenses = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License')}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12'.split()

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
lic = licenses[cfg['license']]
min_python = cfg['min_python']
scripts = [s.strip() for s in cfg.get('console_scripts', '').split('\n') if s.strip()]

setuptools.setup(
    name=cfg['lib_name'], version=cfg['version'], license=lic[0],
    description=cfg['description'], author=cfg['author'], author_email=cfg['author_email'],
    keywords=cfg['keywords'], url=cfg['git_url'],
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'License :: ' + lic[1], 'Natural Language :: ' + cfg['language'].title()]
                + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]],
    packages=setuptools.find_packages(include=['gazeqwen', 'gazeqwen.*']),
    include_package_data=True, install_requires=requirements,
    extras_require={'dev': dev_requirements}, dependency_links=cfg.get('dep_links', '').split(),
    python_requires='>=' + cfg['min_python'], long_description=open('README.md').read(),
    long_description_content_type='text/markdown', zip_safe=False,
    entry_points={'console_scripts': scripts, 'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']},
)
