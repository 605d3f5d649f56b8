# Shell start-up for lab terminals: a prompt that says which lab node you are on.
[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc
PS1='\[\e[1;32m\]lab:${LAB_NODE}\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]# '
alias ls='ls --color=auto'
cd "$LAB_WORKDIR" 2>/dev/null || true
